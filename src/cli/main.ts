#!/usr/bin/env node
import { VERSION } from './version.ts';

const argv = process.argv.slice(2);
// A bare `werker --version` is how scripts, editors and install checks probe for the tool, so it
// answers before the command parser loads, with what commander would print (cli.ts, `-v,
// --version`). Everything else goes through cli.ts, which loads only the command it runs.
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
  process.stdout.write(`${VERSION}\n`);
} else {
  const { main } = await import('./cli.ts');
  process.exitCode = await main(argv);
}
