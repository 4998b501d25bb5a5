/**
 * `<button data-copy="ID">` copies the text of the element with that id: through the clipboard
 * API where the page may use it (a secure context), else by selecting it and asking the browser
 * to copy; if that is refused too, the text stays selected for Ctrl-C.
 */
export function handleCopyButtons(event: MouseEvent): void {
  const button = event.target instanceof Element ? event.target.closest<HTMLButtonElement>('button[data-copy]') : null;
  const source = button && document.getElementById(button.dataset.copy ?? '');
  if (!button || !source) return;
  const label = button.textContent;
  const done = () => {
    button.textContent = 'Copied';
    setTimeout(() => (button.textContent = label), 1500);
  };
  const select = () => selectAndCopy(source, done);
  if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(source.textContent ?? '').then(done, select);
  else select();
}

function selectAndCopy(source: HTMLElement, done: () => void): void {
  const range = document.createRange();
  range.selectNodeContents(source);
  const selection = window.getSelection();
  selection?.removeAllRanges();
  selection?.addRange(range);
  try {
    if (document.execCommand('copy')) done();
  } catch {
    // Left selected for Ctrl-C.
  }
}
