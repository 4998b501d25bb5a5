import { p3PostgisReady } from './p3-postgis-ready.ts';
const r = await p3PostgisReady.run({ runs: 3, log: (t) => console.error(t) });
console.log(JSON.stringify(r, null, 2));
