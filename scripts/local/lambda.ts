// Runs a built Lambda handler in-process, in a worker thread of its own, so
// that each emulated function has its own environment variables and its own
// module instances (one policy cache per function, as in AWS), and so that two
// local stacks in one process never share a container.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';

export interface LambdaFunctionOptions {
  /** Name used in the context object and in log records. */
  name: string;
  /** Absolute path of the CommonJS file exporting the handler. */
  handlerFile: string;
  /** Export name. Default `handler`. */
  handlerName?: string;
  /** The function's whole environment: nothing is inherited from this process. */
  env: Record<string, string>;
  /**
   * The invocation's timeout, counted from the moment the handler is called, as
   * Lambda counts it (the init phase has its own limit, {@link INIT_LIMIT_MS}).
   * Default 29 s: API Gateway gives up on an integration then.
   */
  timeoutMs?: number;
  /** Every line the function writes to stdout or stderr. */
  onLog?: (line: string, stream: 'stdout' | 'stderr') => void;
}

export type InvokeOutcome =
  | { ok: true; result: unknown; coldStart: boolean; requestId: string; ms: number }
  | { ok: false; error: LambdaError; coldStart: boolean; requestId: string; ms: number; timedOut?: boolean };

type LambdaError = { errorType: string; errorMessage: string; stack?: string[] };

/** Lambda's limit on a function's init phase (loading the handler file and its top level). */
export const INIT_LIMIT_MS = 10_000;

/** What lambda-worker.cjs posts back for one invocation: `started` once the handler is called, then the outcome. */
interface WorkerReply {
  id: number;
  started?: true;
  ok: boolean;
  result?: unknown;
  error?: LambdaError;
  coldStart: boolean;
}

interface Pending {
  resolve: (outcome: InvokeOutcome) => void;
  timer: NodeJS.Timeout;
  onStarted?: () => void;
  requestId: string;
  started: number;
}

/** One emulated function with one long-lived execution environment. */
export class LambdaFunction {
  readonly stats = { invocations: 0, errors: 0, coldStarts: 0 };
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(private readonly options: LambdaFunctionOptions) {}

  /** Invokes the handler with `event`; never rejects (errors come back as outcomes, as from Lambda). */
  invoke(event: unknown, requestId: string = randomUUID()): Promise<InvokeOutcome> {
    const worker = this.start();
    const id = this.nextId++;
    const timeoutMs = this.options.timeoutMs ?? 29_000;
    const started = Date.now();
    this.stats.invocations++;
    return new Promise<InvokeOutcome>((resolve) => {
      const expire = (limitMs: number, what: string) =>
        setTimeout(() => {
          this.pending.delete(id);
          this.stats.errors++;
          resolve({
            ok: false,
            error: { errorType: 'TimeoutError', errorMessage: `${what} within ${limitMs} ms` },
            coldStart: false,
            requestId,
            ms: Date.now() - started,
            timedOut: true,
          });
        }, limitMs);
      // Until the worker says the handler was called, only the init limit runs:
      // a slow start on a busy machine is not the function's timeout.
      const pending: Pending = { resolve, timer: expire(INIT_LIMIT_MS + timeoutMs, 'no response'), requestId, started };
      pending.onStarted = () => {
        clearTimeout(pending.timer);
        pending.timer = expire(timeoutMs, 'no response');
      };
      this.pending.set(id, pending);
      worker.postMessage({ id, event, requestId, timeoutMs });
    });
  }

  /** Ends the execution environment; the next invocation starts a new one (a cold start). */
  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const { name, handlerFile, handlerName = 'handler', env, onLog } = this.options;
    const worker = new Worker(join(__dirname, 'lambda-worker.cjs'), {
      workerData: { handlerFile, handlerName, functionName: name },
      env,
      stdout: true,
      stderr: true,
    });
    for (const stream of ['stdout', 'stderr'] as const) {
      const lines = createInterface({ input: worker[stream] });
      lines.on('line', (line) => onLog?.(line, stream));
    }
    worker.on('message', (msg: WorkerReply) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      if (msg.started) return p.onStarted?.();
      this.pending.delete(msg.id);
      clearTimeout(p.timer);
      if (msg.coldStart) this.stats.coldStarts++;
      const ms = Date.now() - p.started;
      if (msg.ok) p.resolve({ ok: true, result: msg.result, coldStart: msg.coldStart, requestId: p.requestId, ms });
      else {
        this.stats.errors++;
        p.resolve({
          ok: false,
          error: msg.error ?? { errorType: 'Error', errorMessage: 'unknown error' },
          coldStart: msg.coldStart,
          requestId: p.requestId,
          ms,
        });
      }
    });
    worker.on('error', (err) => {
      onLog?.(JSON.stringify({ level: 'ERROR', message: `function ${name} crashed`, error: String(err) }), 'stderr');
      this.failAll(err);
    });
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = undefined;
      this.failAll(new Error('the execution environment exited'));
    });
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private failAll(err: unknown): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.stats.errors++;
      p.resolve({
        ok: false,
        error: { errorType: 'Runtime.ExitError', errorMessage: String(err) },
        coldStart: false,
        requestId: p.requestId,
        ms: Date.now() - p.started,
      });
      this.pending.delete(id);
    }
  }
}
