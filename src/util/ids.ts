import { randomBytes, randomUUID } from 'node:crypto';

let counter = randomBytes(3).readUIntBE(0, 3);

/** A 24-hex id shaped like a MongoDB ObjectId, as wercker used for build and dev run ids. */
export function objectId(now = Date.now()): string {
  const time = Math.floor(now / 1000).toString(16).padStart(8, '0');
  counter = (counter + 1) % 0xffffff;
  return time + randomBytes(5).toString('hex') + counter.toString(16).padStart(6, '0');
}

export const uuid = (): string => randomUUID();
export const shortId = (): string => randomBytes(4).toString('hex');
