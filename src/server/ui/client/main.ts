/**
 * The web UI's script, served at /assets/werker.js (esbuild bundles this file and what it
 * imports into an ES module; see assets/client-bundle.ts): copy buttons on every page, the live
 * log and the terminal's button (when the server offers one) on a run's. The terminal itself
 * (xterm.js) is a chunk the button imports when clicked (terminal.ts).
 */
import { handleCopyButtons } from './copy-button.ts';
import { followRunLog } from './live-log.ts';
import { setUpTerminal } from './terminal.ts';

document.addEventListener('click', handleCopyButtons);
followRunLog(document);
setUpTerminal(document);
