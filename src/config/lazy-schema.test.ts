import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { built, lazySchema } from './lazy-schema.ts';

describe('lazySchema', () => {
  it('builds the schema on first use only, once', () => {
    let builds = 0;
    const Name = lazySchema(() => {
      builds++;
      return z.object({ name: z.string().describe('the name') });
    });
    expect(builds).toBe(0);
    expect(Name.safeParse({ name: 'a' }).success).toBe(true);
    expect(Object.keys(Name.shape)).toEqual(['name']);
    expect(builds).toBe(1);
    expect(built(Name)).toBe(built(Name));
    expect(built(Name)).not.toBe(Name);
  });

  it('keeps .describe() texts when the built schema is nested in another', () => {
    const Inner = lazySchema(() => z.string().describe('inner text'));
    const Outer = lazySchema(() => z.object({ list: z.array(built(Inner)) }));
    const json = z.toJSONSchema(built(Outer)) as unknown as { properties: { list: { items: { description?: string } } } };
    expect(json.properties.list.items.description).toBe('inner text');
  });

  it('gives back a schema that is not lazy unchanged', () => {
    const plain = z.number();
    expect(built(plain)).toBe(plain);
  });
});
