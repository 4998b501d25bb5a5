/**
 * A zod schema built the first time it is used. Building werker's schemas at import took tens
 * of milliseconds at every start-up, also for commands that never validate a wercker.yml
 * (docs/performance.md). The proxy stands for the schema at call sites (`.shape`, `.safeParse`,
 * `.optional()`), so they and the inferred types do not change. Inside another schema, pass
 * `built(X)`: zod keeps `.describe()` texts in a registry keyed by the schema object itself, so
 * the proxy there would lose them from the JSON Schema.
 */
export function lazySchema<T extends object>(build: () => T): T {
  let made: T | undefined;
  const schema = (): T => (made ??= build());
  const proxy = new Proxy({} as T, {
    get: (_target, key) => Reflect.get(schema(), key),
    has: (_target, key) => Reflect.has(schema(), key),
    ownKeys: () => Reflect.ownKeys(schema()),
    getOwnPropertyDescriptor: (_target, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(schema(), key);
      // A proxy may not report a property of its (empty) target as non-configurable.
      if (descriptor) descriptor.configurable = true;
      return descriptor;
    },
    getPrototypeOf: () => Reflect.getPrototypeOf(schema()),
    set: (_target, key, value) => Reflect.set(schema(), key, value),
  });
  builders.set(proxy, schema);
  return proxy;
}

const builders = new WeakMap<object, () => object>();

/** The schema itself behind a `lazySchema` proxy (built now if it was not yet). */
export function built<T extends object>(schema: T): T {
  const build = builders.get(schema);
  return build ? (build() as T) : schema;
}
