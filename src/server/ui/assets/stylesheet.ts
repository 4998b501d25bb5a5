/**
 * The whole stylesheet of the web UI, served at /ui/werker.css. Plain CSS with a few custom
 * properties; kept here (not in a .css file) so `tsc` carries it into dist/ with no copy step.
 */
export const STYLESHEET = `
:root {
  --fg: #1d2330; --muted: #5b6475; --bg: #f6f7f9; --card: #fff; --line: #dde1e8;
  --accent: #2f5fd0; --passed: #18794e; --failed: #c4320a; --running: #a05a00; --queued: #5b6475;
  --cancelled: #6b4fbb; --mono: "DejaVu Sans Mono", ui-monospace, Menlo, Consolas, monospace;
}
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 "DejaVu Sans", system-ui, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
header.top { display: flex; align-items: center; gap: 1.5rem; padding: .6rem 1.5rem; background: #1d2330; color: #fff; }
header.top a { color: #fff; }
header.top .brand { font-weight: 700; letter-spacing: .02em; }
header.top .spacer { flex: 1; }
header.top form { margin: 0; }
header.top button { background: transparent; color: #cfd6e4; border: 1px solid #4a5468; }
main { max-width: 1100px; margin: 1.5rem auto; padding: 0 1.5rem; }
h1 { font-size: 1.5rem; margin: 0 0 1rem; display: flex; align-items: center; gap: .75rem; flex-wrap: wrap; }
h1 .spacer { flex: 1; }
h1 button { font-size: .9rem; font-weight: 400; }
h2 { font-size: 1.1rem; margin: 0 0 .75rem; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 1rem 1.25rem; margin-bottom: 1.25rem; }
.muted { color: var(--muted); }
.crumbs { color: var(--muted); margin-bottom: .35rem; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: .45rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: .85rem; text-transform: uppercase; letter-spacing: .03em; }
code, pre, .mono { font-family: var(--mono); font-size: .87rem; }
pre { margin: 0; white-space: pre-wrap; word-break: break-all; }
form.inline { display: inline; margin: 0; }
.row { display: flex; gap: .75rem; align-items: end; flex-wrap: wrap; }
label { display: flex; flex-direction: column; gap: .2rem; font-size: .85rem; color: var(--muted); }
label.check { flex-direction: row; align-items: center; gap: .35rem; color: var(--fg); }
input[type=text], input[type=password], input:not([type]), select, textarea {
  font: inherit; padding: .4rem .55rem; border: 1px solid var(--line); border-radius: 5px; background: #fff; min-width: 12rem;
}
button { font: inherit; padding: .4rem .9rem; border-radius: 5px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
button.secondary { background: #fff; color: var(--accent); }
button.danger { background: #fff; color: var(--failed); border-color: var(--failed); }
.error { background: #fdecea; border: 1px solid #f3b7ab; color: #8a2a0e; padding: .6rem .9rem; border-radius: 6px; margin-bottom: 1rem; }
.notice { background: #eef3fd; border: 1px solid #c5d5f5; padding: .6rem .9rem; border-radius: 6px; margin-bottom: 1rem; }
.badge { display: inline-block; padding: .1rem .6rem; border-radius: 999px; font-size: .8rem; font-weight: 700;
  text-transform: uppercase; letter-spacing: .04em; color: #fff; background: var(--queued); }
.badge.passed { background: var(--passed); } .badge.failed { background: var(--failed); }
.badge.running { background: var(--running); } .badge.cancelled { background: var(--cancelled); }
.protected { font-style: italic; color: var(--muted); }
.login { max-width: 360px; margin: 5rem auto; }
.login label { margin-bottom: .75rem; }
.login input { width: 100%; }
.keypair pre { background: #f1f3f6; border: 1px solid var(--line); border-radius: 5px; padding: .5rem; margin: .35rem 0; }
.cron-caret { background: #fdecea; border: 1px solid #f3b7ab; border-radius: 5px; padding: .4rem .6rem; margin: -.6rem 0 .75rem; white-space: pre; }
.error-text { color: var(--failed); }
.schedule-form { margin: .5rem 0; }
.pager { display: flex; gap: 1rem; margin-top: .75rem; }
.meta { display: flex; gap: 1.5rem; flex-wrap: wrap; color: var(--muted); margin-bottom: 1rem; }
.meta b { color: var(--fg); font-weight: 600; }
.actions { display: flex; gap: .5rem; }
.actions form:has(> button[hidden]) { display: none; }
.log details { border: 1px solid var(--line); border-radius: 6px; margin-bottom: .4rem; background: var(--card); }
.log summary { display: flex; gap: .75rem; align-items: center; padding: .45rem .75rem; cursor: pointer; list-style: none; }
.log summary::-webkit-details-marker { display: none; }
.log summary::before { content: "\\25B8"; color: var(--muted); }
.log details[open] > summary::before { content: "\\25BE"; }
.log summary .name { flex: 1; font-weight: 600; }
.log summary .phase { color: var(--muted); font-size: .8rem; }
.log summary .duration { color: var(--muted); font-family: var(--mono); font-size: .85rem; }
.log .state::after { font-size: .8rem; font-weight: 700; }
.log details[data-state=running] .state::after { content: "running"; color: var(--running); }
.log details[data-state=passed] .state::after { content: "passed"; color: var(--passed); }
.log details[data-state=failed] .state::after { content: "failed"; color: var(--failed); }
.log details[data-state=pending] .state::after { content: "pending"; color: var(--muted); }
.log details pre { background: #12161f; color: #d7dce6; padding: .6rem .8rem; border-radius: 0 0 6px 6px; min-height: 1.5rem; max-height: 32rem; overflow: auto; }
.log details pre .stderr { color: #f2a48f; }
.log details pre .note { color: #8fb4f2; }
.log details pre .passed { color: #7fd3a4; } .log details pre .failed { color: #f28f8f; } .log details pre .cancelled { color: #e8c170; }
.log details pre .hint, .log details pre .step { color: #7fd0e0; } .log details pre .strong { font-weight: 700; }
.log details pre .dropped { color: #9aa3b2; font-style: italic; }
.log .message { padding: .4rem .75rem; color: var(--failed); }
.result { margin-top: .75rem; font-weight: 600; }
.result.passed { color: var(--passed); } .result.failed, .result.errored { color: var(--failed); } .result.cancelled { color: var(--cancelled); }
.step-retry { margin: .4rem 0 .2rem 1.5rem; }
.terminal { margin: 1rem 0; }
.terminal-screen { height: 22rem; background: #000; padding: .3rem; border-radius: 6px; }
`;
