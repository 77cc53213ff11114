// The local stand-in for the stack's snapshot machinery (template.yaml, snapshot
// mode): the compiler function (the BUILT dist/compiler/index.js in its own
// execution environment), the EventBridge rule that sends it Parameter Store
// Change events under the policy path, the schedule, and one run at a time
// (ReservedConcurrentExecutions: 1: invocations wait in a queue, as Lambda's
// asynchronous queue holds them).
import type { InvokeOutcome, LambdaFunction } from './lambda';
import type { ParameterStoreChangeEvent } from './ssm-proxy';

/** What the rule in template.yaml matches (test/deploy/change-rule.int.test.ts checks that pattern against EventBridge). */
export function ruleMatches(policyPath: string, event: ParameterStoreChangeEvent): boolean {
  return event.source === 'aws.ssm' && event['detail-type'] === 'Parameter Store Change' && event.detail.name.startsWith(`${policyPath}/`);
}

export interface CompilerRun {
  trigger: 'deploy' | 'change' | 'schedule';
  /** The parameter of a change event. */
  name?: string;
  startedAt: number;
  ms: number;
  ok: boolean;
  error?: string;
}

export class LocalCompiler {
  readonly runs: CompilerRun[] = [];
  private queue: Promise<void> = Promise.resolve();
  private pending = 0;
  private timer: NodeJS.Timeout | undefined;
  private rulesActive = false;

  constructor(
    private readonly fn: LambdaFunction,
    private readonly policyPath: string,
    private readonly onRun?: (run: CompilerRun) => void,
  ) {}

  /**
   * The deploy-time run (the stack's custom resource), then the triggers: like the stack,
   * whose rules are created after that run, events before it are not delivered.
   */
  async deploy(scheduleSeconds: number): Promise<CompilerRun> {
    const run = await this.enqueue('deploy', {});
    if (!run.ok) throw new Error(`the deploy-time compile failed: ${run.error}`);
    this.rulesActive = true;
    if (scheduleSeconds > 0) {
      this.timer = setInterval(() => {
        void this.enqueue('schedule', {
          version: '0',
          id: `local-${Date.now()}`,
          'detail-type': 'Scheduled Event',
          source: 'aws.events',
          account: '123456789012',
          time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
          region: 'us-east-1',
          resources: ['arn:aws:events:us-east-1:123456789012:rule/local-snapshot-schedule'],
          detail: {},
        });
      }, scheduleSeconds * 1000);
      this.timer.unref();
    }
    return run;
  }

  /** The rule: a matching change event queues a run. Returns whether it matched. */
  deliver(event: ParameterStoreChangeEvent): boolean {
    if (!this.rulesActive || !ruleMatches(this.policyPath, event)) return false;
    void this.enqueue('change', event, event.detail.name);
    return true;
  }

  /** Runs queued or in progress. */
  get busy(): number {
    return this.pending;
  }

  /** Resolves when every queued run has finished. */
  idle(): Promise<void> {
    return this.queue;
  }

  stop(): void {
    this.rulesActive = false;
    if (this.timer) clearInterval(this.timer);
  }

  private enqueue(trigger: CompilerRun['trigger'], event: unknown, name?: string): Promise<CompilerRun> {
    this.pending++;
    const result = this.queue.then(async () => {
      const startedAt = Date.now();
      const outcome: InvokeOutcome = await this.fn.invoke(event);
      const run: CompilerRun = {
        trigger,
        ...(name !== undefined ? { name } : {}),
        startedAt,
        ms: Date.now() - startedAt,
        ok: outcome.ok,
        ...(outcome.ok ? {} : { error: `${outcome.error.errorType}: ${outcome.error.errorMessage}` }),
      };
      this.runs.push(run);
      if (this.runs.length > 200) this.runs.shift();
      this.pending--;
      this.onRun?.(run);
      return run;
    });
    this.queue = result.then(() => undefined);
    return result;
  }
}
