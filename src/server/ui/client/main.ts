/**
 * The web UI's script, served at /assets/werker.js (esbuild bundles this file and what it
 * imports; see assets/client-bundle.ts): copy buttons on every page, the live log and the
 * terminal (when the server offers one) on a run's.
 */
import { handleCopyButtons } from './copy-button.ts';
import { followRunLog } from './live-log.ts';
import { setUpTerminal } from './terminal.ts';

document.addEventListener('click', handleCopyButtons);
followRunLog(document);
setUpTerminal(document);
