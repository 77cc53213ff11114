/**
 * The policy compiler: lists the policy path, applies every rule the
 * instances apply, and writes one snapshot object to S3 for the whole fleet
 * (docs/fleet.md, "The compiler"). Triggered by
 * - EventBridge `aws.ssm` / `Parameter Store Change` events under the path,
 * - a schedule (the safety net: change events are best effort),
 * - a CloudFormation custom resource at deploy time: Create and Update compile
 *   and answer SUCCESS or FAILED; Delete answers SUCCESS and deletes the
 *   snapshot only when CORS_SNAPSHOT_DELETE_ON_STACK_DELETE=true.
 * Every run does the same whole compile whatever triggered it: events are
 * triggers, never data (only a change event's time is read, to skip a run the
 * current snapshot already covers; see run.ts).
 */
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { GetParameterHistoryCommand, GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { createLogger, type Logger } from '../aws/logger';
import { readParameterHistory } from '../aws/parameter-history';
import { HistoryCache } from '../aws/policy-compile';
import { SAFETY_MARGIN_MS, sendResponse, withDeadline } from '../redeploy/response';
import { readCompilerConfig, type CompilerConfig } from './config';
import { compilerMetricFields } from './metrics';
import { compileSnapshot, type CompileResult, type CompilerDeps, type Trigger } from './run';
import { createSnapshotS3Client, s3SnapshotObjects, type SnapshotObjects } from './snapshot-object';

const logger: Logger = createLogger({ service: 'cors-compiler' });

/** The container's clients and cache, created on first use; a configuration error is kept and reported on every run. */
type Setup = { ok: true; deps: CompilerDeps } | { ok: false; error: Error };
let setup: Setup | undefined;

function createSsmClient(): SSMClient {
  return new SSMClient({ maxAttempts: 5, requestHandler: { connectionTimeout: 3000, requestTimeout: 10_000, throwOnRequestTimeout: true } });
}

function depsFromEnvironment(): Setup {
  let config: CompilerConfig;
  try {
    config = readCompilerConfig(process.env);
  } catch (error) {
    return { ok: false, error: error as Error };
  }
  const ssm = createSsmClient();
  const objects: SnapshotObjects = s3SnapshotObjects(createSnapshotS3Client(process.env), config.bucket, config.key);
  return {
    ok: true,
    deps: {
      config,
      logger,
      objects,
      sendPage: (input) => ssm.send(new GetParametersByPathCommand(input)),
      readHistory: (name) => readParameterHistory(name, (input) => ssm.send(new GetParameterHistoryCommand(input))),
      historyCache: new HistoryCache(),
    },
  };
}

/** Forgets the container's setup so the next run reads the environment again (tests). */
export function resetCompiler(): void {
  setup = undefined;
}

function configuredDeps(): CompilerDeps {
  setup ??= depsFromEnvironment();
  if (!setup.ok) throw setup.error;
  return setup.deps;
}

/** The namespace for the metrics of a run that could not even read its configuration. */
function namespaceOf(deps: CompilerDeps | undefined): string {
  const raw = process.env.CORS_METRICS_NAMESPACE;
  return deps?.config.metricsNamespace ?? (raw && /^[0-9A-Za-z.\-_/#: ]{1,255}$/.test(raw) && !raw.startsWith('AWS/') ? raw : 'ApigwCors');
}

/** One run, with its summary line (and its metrics) whether it succeeds or fails. */
export async function runOnce(trigger: Trigger, override?: CompilerDeps): Promise<CompileResult> {
  const started = Date.now();
  let deps: CompilerDeps | undefined = override;
  try {
    deps ??= configuredDeps();
    const result = await compileSnapshot(deps, trigger);
    const { changes, ...summary } = result;
    deps.logger.info('snapshot compiled', {
      trigger,
      bucket: deps.objects.bucket,
      key: deps.objects.key,
      ...summary,
      changedParameters: changes.length,
      ms: Date.now() - started,
      ...compilerMetricFields(deps.config.metricsNamespace, {
        ok: true,
        invalidParameters: result.invalidParameters,
        bytes: result.bytes,
        changes: result.outcome === 'written' ? changes.length : 0,
      }),
    });
    return result;
  } catch (err) {
    (deps?.logger ?? logger).error('snapshot compile failed; the previous snapshot keeps serving', {
      trigger,
      error: err,
      ms: Date.now() - started,
      ...compilerMetricFields(namespaceOf(deps), { ok: false }),
    });
    throw err;
  }
}

interface EventBridgeEvent {
  readonly source?: unknown;
  readonly time?: unknown;
  readonly 'detail-type'?: unknown;
  readonly detail?: { readonly name?: unknown; readonly operation?: unknown };
}

const isCustomResource = (event: unknown): event is CloudFormationCustomResourceEvent =>
  typeof event === 'object' && event !== null && typeof (event as { RequestType?: unknown }).RequestType === 'string' && 'ResponseURL' in event;

/** What started a run, from its event; anything else (a manual invoke) compiles too. */
export function triggerOf(event: unknown): Trigger {
  const e = (event ?? {}) as EventBridgeEvent;
  if (e.source === 'aws.ssm' && e['detail-type'] === 'Parameter Store Change') {
    const name = typeof e.detail?.name === 'string' ? e.detail.name : undefined;
    const operation = typeof e.detail?.operation === 'string' ? e.detail.operation : undefined;
    const time = typeof e.time === 'string' && !Number.isNaN(Date.parse(e.time)) ? e.time : undefined;
    return {
      kind: 'change',
      ...(name !== undefined ? { name } : {}),
      ...(operation !== undefined ? { operation } : {}),
      ...(time !== undefined ? { time } : {}),
    };
  }
  if (e.source === 'aws.events' && e['detail-type'] === 'Scheduled Event') return { kind: 'schedule' };
  return { kind: 'manual' };
}

/** The physical id of the deploy-time run: the object it maintains, so a Delete knows what it may remove. */
export function physicalIdFor(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

function objectOf(physicalId: string | undefined): { bucket: string; key: string } | undefined {
  const m = physicalId ? /^s3:\/\/([^/]+)\/(.+)$/.exec(physicalId) : null;
  return m ? { bucket: m[1]!, key: m[2]! } : undefined;
}

/** The Reason of a FAILED response: the error in one line, short enough for CloudFormation, and where the logs are. */
function reasonFor(err: unknown, context: Context): string {
  const e = err as { name?: unknown; message?: unknown };
  let text = `${typeof e?.name === 'string' ? e.name : 'Error'}: ${typeof e?.message === 'string' ? e.message : String(err)}`.replace(/\s+/g, ' ');
  if (text.length > 1500) text = `${text.slice(0, 1500)}...`;
  return `The policy snapshot could not be compiled: ${text} (log stream ${context.logStreamName})`;
}

async function customResource(event: CloudFormationCustomResourceEvent, context: Context): Promise<void> {
  const base = { StackId: event.StackId, RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId, NoEcho: false };
  const previousId = event.RequestType === 'Create' ? undefined : event.PhysicalResourceId;
  logger.info('custom resource request', { requestType: event.RequestType, logicalResourceId: event.LogicalResourceId });
  if (event.RequestType === 'Delete') {
    let reason: string | undefined;
    try {
      const deps = configuredDeps();
      const target = objectOf(previousId);
      if (deps.config.deleteOnStackDelete && target) {
        const objects =
          target.bucket === deps.objects.bucket && target.key === deps.objects.key
            ? deps.objects
            : s3SnapshotObjects(createSnapshotS3Client(), target.bucket, target.key);
        await withDeadline(objects.remove(), Math.max(1_000, context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS));
        logger.info('snapshot deleted with the stack', { bucket: target.bucket, key: target.key });
      } else logger.info('snapshot kept (CORS_SNAPSHOT_DELETE_ON_STACK_DELETE is not true)', target ?? {});
    } catch (err) {
      // A stack delete must never hang on the snapshot: it is reported, and the object is left behind.
      reason = String((err as Error)?.message ?? err);
      logger.warn('snapshot could not be deleted; it is left in the bucket', { error: err });
    }
    await sendResponse(
      event.ResponseURL,
      {
        ...base,
        Status: 'SUCCESS',
        PhysicalResourceId: previousId ?? `${event.LogicalResourceId}-deleted`,
        ...(reason ? { Reason: reason.slice(0, 500) } : {}),
      },
      logger,
    );
    return;
  }
  let physicalId = previousId ?? `${event.LogicalResourceId}-${event.RequestId}`;
  try {
    const deps = configuredDeps();
    physicalId = physicalIdFor(deps.objects.bucket, deps.objects.key);
    const budget = Math.max(1_000, context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS);
    const result = await withDeadline(runOnce({ kind: 'deploy', requestType: event.RequestType }, deps), budget);
    await sendResponse(
      event.ResponseURL,
      {
        ...base,
        Status: 'SUCCESS',
        PhysicalResourceId: physicalId,
        Data: { Bucket: deps.objects.bucket, Key: deps.objects.key, Sequence: String(result.sequence), Outcome: result.outcome },
      },
      logger,
    );
  } catch (err) {
    await sendResponse(event.ResponseURL, { ...base, Status: 'FAILED', Reason: reasonFor(err, context), PhysicalResourceId: physicalId }, logger);
  }
}

/**
 * The Lambda handler. For EventBridge and scheduled events it resolves with a
 * short summary, or rejects so that the failure is visible (asynchronous
 * retries, the rule's dead-letter queue, the Errors metric). A custom
 * resource event always resolves, after answering CloudFormation.
 */
export async function handler(event: unknown, context: Context): Promise<unknown> {
  if (isCustomResource(event)) {
    await customResource(event, context);
    return undefined;
  }
  const result = await runOnce(triggerOf(event));
  return { outcome: result.outcome, sequence: result.sequence, changes: result.changes.length };
}
