/**
 * The only JavaScript the web UI sends, served at /ui/werker.js: copy buttons, and the run page's
 * live log. The log follows the server-sent events of /api/runs/:id/events (replay from the
 * store, then live) and files each event under its step's <details>. Text only ever goes in with
 * `textContent`, never as HTML, so nothing a step prints can become markup. Output arrives
 * masked by the engine; the browser shows it as it is.
 *
 * Plain ES2017 in a string (no bundler, no client framework); the script carries no data of its
 * own: the page tells it where to listen through data- attributes.
 */
export const CLIENT_SCRIPT = String.raw`
(function () {
  'use strict';

  document.addEventListener('click', function (e) {
    var button = e.target && e.target.closest ? e.target.closest('button[data-copy]') : null;
    if (!button) return;
    var source = document.getElementById(button.getAttribute('data-copy'));
    if (!source) return;
    var label = button.textContent;
    var done = function () {
      button.textContent = 'Copied';
      setTimeout(function () { button.textContent = label; }, 1500);
    };
    var select = function () {
      var range = document.createRange();
      range.selectNodeContents(source);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      try { if (document.execCommand('copy')) done(); } catch (err) { /* left selected for Ctrl-C */ }
    };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(source.textContent).then(done, select);
    else select();
  });

  var run = document.getElementById('run');
  if (!run || !window.EventSource) return;
  var log = document.getElementById('log');
  var badge = document.getElementById('run-status');
  var result = document.getElementById('run-result');
  var current = null;
  var latestByStep = {};
  var RUN_STATES = { passed: 'passed', failed: 'failed', errored: 'failed', cancelled: 'cancelled' };

  function formatDuration(ms) {
    if (ms < 1000) return ms + 'ms';
    var s = ms / 1000;
    if (s < 60) return s.toFixed(1) + 's';
    var m = Math.floor(s / 60);
    var rest = Math.round(s - m * 60);
    return m + 'm ' + (rest < 10 ? '0' : '') + rest + 's';
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // The server renders the sections it knows of; the rest are made here, in the same shape.
  function section(key, name, phase) {
    var found = log.querySelector('details[data-key="' + key + '"]');
    if (found) return found;
    var details = el('details');
    details.setAttribute('data-key', key);
    details.setAttribute('data-state', 'pending');
    var summary = el('summary');
    summary.appendChild(el('span', 'state'));
    summary.appendChild(el('span', 'name', name));
    if (phase === 'after') summary.appendChild(el('span', 'phase', 'after-step'));
    summary.appendChild(el('span', 'duration', ''));
    details.appendChild(summary);
    details.appendChild(el('pre', 'output'));
    // Preparing comes before the steps, whatever the server rendered already.
    if (key === 'prepare') log.insertBefore(details, log.firstChild);
    else log.appendChild(details);
    return details;
  }

  function preparing() {
    var prep = section('prepare', 'Preparing the box', 'setup');
    if (prep.getAttribute('data-state') === 'pending') prep.setAttribute('data-state', 'running');
    return prep;
  }

  // A chatty step sends an event per line, possibly millions: the page keeps the last
  // MAX_LINES of each step (the full log stays in the store) and scrolls once per batch.
  var MAX_LINES = 5000;
  var toScroll = [];
  var scrollTimer = null;
  // A line a step printed in pieces (a 'partial' step.output, then the rest) stays one line:
  // the open piece's span grows until the line ends, or another stream, step or event ends it.
  var openPiece = null;
  function endOpenPiece() {
    if (openPiece) openPiece.span.textContent += '\n';
    openPiece = null;
  }
  function output(target, ev) {
    var key = ev.step + ':' + ev.stream;
    if (openPiece && openPiece.key === key) openPiece.span.textContent += ev.text + (ev.partial ? '' : '\n');
    else {
      endOpenPiece();
      var span = append(target, ev.text, ev.stream === 'stderr' ? 'stderr' : '', ev.partial);
      if (ev.partial) openPiece = { key: key, span: span };
    }
    if (!ev.partial) openPiece = null;
  }

  function append(target, text, cls, open) {
    var pre = target.querySelector('pre.output');
    var span = pre.appendChild(el('span', cls || '', open || text.charAt(text.length - 1) === '\n' ? text : text + '\n'));
    var note = pre.firstChild.className === 'dropped' ? pre.firstChild : null;
    if (pre.childNodes.length - (note ? 1 : 0) > MAX_LINES) {
      if (!note) note = pre.insertBefore(el('span', 'dropped'), pre.firstChild);
      pre.removeChild(note.nextSibling);
      var dropped = Number(note.getAttribute('data-count') || 0) + 1;
      note.setAttribute('data-count', String(dropped));
      note.textContent = '(' + dropped + ' earlier lines not shown here)\n';
    }
    if (toScroll.indexOf(pre) < 0) toScroll.push(pre);
    if (scrollTimer === null) scrollTimer = setTimeout(scrollToEnd, 50);
    return span;
  }
  function scrollToEnd() {
    scrollTimer = null;
    toScroll.splice(0).forEach(function (pre) { pre.scrollTop = pre.scrollHeight; });
  }

  function setRunState(state) {
    run.setAttribute('data-status', state);
    badge.className = 'badge ' + state;
    badge.textContent = state;
  }

  // Preparing ends when the first step starts, or with the run: failed when no step ever ran.
  function finishPrepare(state) {
    var prep = log.querySelector('details[data-key="prepare"]');
    if (!prep || prep.getAttribute('data-state') !== 'running') return;
    prep.setAttribute('data-state', state);
    if (state === 'failed') prep.open = true;
  }

  var handlers = {
    'run.started': function (ev) {
      setRunState('running');
      append(preparing(), 'pipeline ' + ev.pipeline + ' in ' + ev.box + (ev.services.length ? ', services: ' + ev.services.join(', ') : ''), 'note');
      ev.steps.forEach(function (name, i) { section('main-' + (i + 1), name, 'main'); });
      ev.afterSteps.forEach(function (name, i) { section('after-' + (i + 1), name, 'after'); });
    },
    'image.ready': function (ev) {
      append(current || preparing(), (ev.pulled ? 'pulled ' : 'using ') + ev.image + ' (' + formatDuration(ev.durationMs) + ')', 'note');
    },
    'service.started': function (ev) { append(current || preparing(), 'service ' + ev.name + ' started (' + ev.image + ')', 'note'); },
    'service.ready': function (ev) { append(current || preparing(), 'service ' + ev.name + ' ready after ' + formatDuration(ev.waitedMs), 'note'); },
    'service.failed': function (ev) { append(current || preparing(), 'service ' + ev.name + ' failed: ' + ev.message + '\n' + ev.logs, 'stderr'); },
    'service.logs': function (ev) { append(current || preparing(), ev.logs, 'note'); },
    'log': function (ev) { append(current || preparing(), ev.text, ev.level === 'warn' ? 'stderr' : 'note'); },
    'artifacts.stored': function (ev) { append(current || preparing(), 'stored ' + ev.files + ' files of ' + ev.path, 'note'); },
    'step.started': function (ev) {
      finishPrepare('passed');
      if (current && current.getAttribute('data-state') === 'passed') current.open = false;
      current = section(ev.phase + '-' + ev.step, ev.name, ev.phase);
      latestByStep[ev.step] = current;
      current.setAttribute('data-state', 'running');
      current.open = true;
    },
    'step.output': function (ev) {
      output(latestByStep[ev.step] || current || preparing(), ev);
    },
    'step.finished': function (ev) {
      var target = section(ev.phase + '-' + ev.step, ev.name, ev.phase);
      target.setAttribute('data-state', ev.status);
      target.querySelector('.duration').textContent = formatDuration(ev.durationMs);
      if (ev.message) append(target, ev.message + (ev.hint ? '\n' + ev.hint : ''), 'stderr');
      if (ev.status === 'failed') target.open = true;
    },
    'run.finished': function (ev) {
      var state = RUN_STATES[ev.status] || 'failed';
      finishPrepare(state === 'passed' ? 'passed' : 'failed');
      setRunState(state);
      result.className = 'result ' + ev.status;
      result.textContent = 'Run ' + ev.status + ' after ' + formatDuration(ev.durationMs) + (ev.error ? ': ' + ev.error.message + (ev.error.hint ? ' (' + ev.error.hint + ')' : '') : '');
      finished();
    },
    'run.status': function (ev) { if (ev.status && !RUN_STATES[ev.status]) setRunState(ev.status); },
  };

  function finished() {
    document.querySelectorAll('[data-while-active]').forEach(function (node) { node.hidden = true; });
    document.querySelectorAll('[data-when-finished]').forEach(function (node) { node.hidden = false; });
    run.setAttribute('data-log', 'finished');
    source.close();
  }

  var lastSeq = 0;
  function onEvent(message) {
    var ev;
    try { ev = JSON.parse(message.data); } catch (err) { return; }
    // A reconnect replays from Last-Event-ID; anything seen already is skipped all the same.
    if (typeof ev.seq === 'number') {
      if (ev.seq <= lastSeq) return;
      lastSeq = ev.seq;
    }
    var waiting = document.getElementById('run-waiting');
    if (waiting) waiting.parentNode.removeChild(waiting);
    var handle = handlers[ev.type];
    if (ev.type !== 'step.output') endOpenPiece();
    if (handle) handle(ev);
  }

  var source = new EventSource(run.getAttribute('data-events'));
  source.onmessage = onEvent;
  Object.keys(handlers).forEach(function (type) { source.addEventListener(type, onEvent); });
  source.onopen = function () { run.setAttribute('data-log', 'following'); };
  // The server ends the stream after run.finished. A run that never started (cancelled while
  // queued) has no run.finished: its stream ends with the run already final, and there is
  // nothing more to wait for; anything else reconnects (EventSource sends Last-Event-ID).
  source.onerror = function () {
    if (run.getAttribute('data-log') === 'finished') return;
    if (RUN_STATES[run.getAttribute('data-status')] && source.readyState !== EventSource.OPEN) return finished();
    if (source.readyState === EventSource.CLOSED) {
      // The browser gave up (e.g. the session expired and the answer was the login page).
      run.setAttribute('data-log', 'stopped');
      result.className = 'result failed';
      result.textContent = 'The live log stopped: reload the page to follow it again.';
    } else {
      run.setAttribute('data-log', 'reconnecting');
    }
  };
})();
`;
