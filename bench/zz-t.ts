import { p4Output } from './p4-output.ts';
const r = await p4Output.run({ runs: 1, log: (t) => console.error(t) });
console.log(JSON.stringify(r, null, 2));
