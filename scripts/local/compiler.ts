// The local stand-in for the stack's snapshot machinery (template.yaml, snapshot
// mode): the compiler function (the BUILT dist/compiler/index.js in its own
// execution environment), the EventBridge rule that sends it Parameter Store
// Change events under the policy path, the schedule, and one run at a time
// (ReservedConcurrentExecutions: 1: invocations wait in a queue, as Lambda's
// asynchronous queue holds them).
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { close, listen } from './gateway';
import type { InvokeOutcome, LambdaFunction } from './lambda';
import type { ParameterStoreChangeEvent } from './ssm-proxy';

/** What the rule in template.yaml matches (test/deploy/change-rule.int.test.ts checks that pattern against EventBridge). */
export function ruleMatches(policyPath: string, event: ParameterStoreChangeEvent): boolean {
  return event.source === 'aws.ssm' && event['detail-type'] === 'Parameter Store Change' && event.detail.name.startsWith(`${policyPath}/`);
}

/** What the compiler answered CloudFormation for the deploy-time run. */
export interface CustomResourceAnswer {
  Status: 'SUCCESS' | 'FAILED';
  Reason?: string;
  PhysicalResourceId?: string;
  Data?: Record<string, string>;
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
  /** The answer of the deploy-time run, once made. */
  deployAnswer: CustomResourceAnswer | undefined;
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
   * The deploy-time run, as CloudFormation makes it: a `Create` request of the stack's
   * `Custom::PolicySnapshot` resource, answered by the compiler with a PUT to a loopback
   * ResponseURL. Then the triggers: like the stack, whose rules are created after that run,
   * events before it are not delivered.
   */
  async deploy(scheduleSeconds: number, properties: { Bucket: string; Key: string }): Promise<void> {
    let answer: CustomResourceAnswer | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          answer = JSON.parse(Buffer.concat(chunks).toString('utf8')) as CustomResourceAnswer;
        } catch {
          answer = { Status: 'FAILED', Reason: 'the compiler sent a response that is not JSON' };
        }
        res.writeHead(200).end();
      });
    });
    const port = await listen(server, 0);
    try {
      const stackId = 'arn:aws:cloudformation:us-east-1:123456789012:stack/local/00000000-0000-0000-0000-000000000000';
      const run = await this.enqueue('deploy', {
        RequestType: 'Create',
        ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:cors-compiler',
        ResponseURL: `http://127.0.0.1:${port}/cloudformation-response`,
        StackId: stackId,
        RequestId: randomUUID(),
        LogicalResourceId: 'PolicySnapshot',
        ResourceType: 'Custom::PolicySnapshot',
        ResourceProperties: { ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:cors-compiler', PolicyPath: this.policyPath, ...properties },
      });
      if (!run.ok) throw new Error(`the deploy-time compile failed: ${run.error}`);
    } finally {
      await close(server);
    }
    if (!answer) throw new Error('the deploy-time compile sent no response to CloudFormation');
    this.deployAnswer = answer;
    if (answer.Status !== 'SUCCESS') throw new Error(`the deploy-time compile answered ${answer.Status}: ${answer.Reason ?? ''}`);
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
