/**
 * The browser code imports only types from engine/events.ts, but type-checking that file also
 * checks its event bus, which writes to `process.stderr` (Node; never bundled into the page).
 * This declares just that much, so the rest of Node stays out of this folder's program.
 */
declare const process: { stderr: { write(text: string): boolean } };
