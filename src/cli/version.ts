/** werker's version, as `--version` and `werker version` print it. */
export const VERSION = '0.1.0';
