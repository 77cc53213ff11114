// Measuring a policy store in this process with a fake clock: "one TTL later"
// takes no waiting, and a counting proxy in front of moto counts the calls each
// read made. Shared by the Parameter Store and the fleet cost benches.
import type { CountingProxy } from './counting-proxy';

/**
 * Sets `env` in process.env (the stores' default clients read the standard
 * variables, as in Lambda) while `run` runs, then puts back what was there.
 */
export async function withProcessEnv<T>(env: Record<string, string>, run: () => Promise<T>): Promise<T> {
  const previous = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return await run();
  } finally {
    for (const [k, v] of Object.entries(previous)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** One read: what it returned, how long it took (ms), and the calls the proxy counted for it (of `target`, or all). */
export interface CountedRead<T> {
  value: T;
  ms: number;
  calls: number;
}

/** Times `read` and counts the calls it made through `proxy`. */
export async function countedRead<T>(proxy: CountingProxy, read: () => Promise<T>, target?: string): Promise<CountedRead<T>> {
  proxy.reset();
  const started = performance.now();
  const value = await read();
  const ms = performance.now() - started;
  return { value, ms, calls: proxy.total(target) };
}

export interface TtlReads {
  /** How many reads, each one TTL after the one before. */
  rounds: number;
  /** Moves the store's fake clock forward by one TTL. */
  nextTtl: () => void;
  proxy: CountingProxy;
  read: () => Promise<unknown>;
  /** The calls counted: of this target, or all. */
  target?: string;
  /** Runs before the clock moves (an edit of the source). */
  before?: () => Promise<void>;
  /** Checks each read's outcome. */
  after?: () => void;
}

/** `rounds` reads one TTL apart: each one's time (ms) and calls, in order. */
export async function readsOneTtlApart(o: TtlReads): Promise<{ ms: number[]; calls: number[] }> {
  const ms: number[] = [];
  const calls: number[] = [];
  for (let i = 0; i < o.rounds; i++) {
    await o.before?.();
    o.nextTtl();
    const r = await countedRead(o.proxy, o.read, o.target);
    ms.push(r.ms);
    calls.push(r.calls);
    o.after?.();
  }
  return { ms, calls };
}
