/**
 * A value one test file sets up once (beforeAll) and releases (afterAll),
 * read as if it were there all along: each property read is forwarded to the
 * value. `always` holds what may be used before beforeAll has run (functions
 * destructured at the top of a file, which only use the value when called).
 * Call it at the top level of the file: it adds the two hooks.
 */
export function fileFixture<T extends object, A extends object = Record<never, never>>(
  setup: () => Promise<T> | T,
  teardown: (value: T) => Promise<void> | void,
  always?: (value: () => T) => A,
): T & A {
  let value: T | undefined;
  const ready = (): T => {
    if (value === undefined) throw new Error('the file fixture is set up in beforeAll: use it in tests and hooks');
    return value;
  };
  beforeAll(async () => {
    value = await setup();
  });
  afterAll(async () => {
    if (value !== undefined) await teardown(value);
  });
  const eager: object = always?.(ready) ?? {};
  return new Proxy(eager, { get: (target, key) => (key in target ? Reflect.get(target, key) : Reflect.get(ready(), key)) }) as T & A;
}
