// A counting pass-through in front of the local Parameter Store. The functions
// reach moto through it, so the stack can tell how many Parameter Store calls
// each function made (its SDK user agent carries `app/<function name>` from
// AWS_SDK_UA_APP_ID). The count is taken before the call is answered, so when
// a function's response reaches a client, its Parameter Store calls are counted.
//
// It also stands in for what moto lacks: the `Parameter Store Change` events AWS
// emits to EventBridge. Every successful write that passes through it (PutParameter,
// DeleteParameter, DeleteParameters, LabelParameterVersion) becomes one event per
// parameter, shaped as AWS's (Systems Manager user guide: sysman-paramstore-cwe),
// handed to `onChange` (the local stack's rule for the compiler).
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { CallCounts, startPassThrough } from './pass-through';

/** A `Parameter Store Change` event as EventBridge delivers it to a rule's target. */
export interface ParameterStoreChangeEvent {
  version: '0';
  id: string;
  'detail-type': 'Parameter Store Change';
  source: 'aws.ssm';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: { name: string; type: string; operation: 'Create' | 'Update' | 'Delete' | 'LabelParameterVersion'; description: string };
}

export interface SsmProxyOptions {
  /** Receives the change events of the writes that passed through, after moto answered them with 2xx. */
  onChange?: (event: ParameterStoreChangeEvent) => void;
  region?: string;
  account?: string;
}

const WRITES = new Set(['PutParameter', 'DeleteParameter', 'DeleteParameters', 'LabelParameterVersion']);

function parseJson(text: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The change events one successful write produces (none for a request or answer it cannot read). */
export function changeEvents(
  operation: string,
  requestBody: string,
  responseBody: string,
  at: { region: string; account: string; now?: Date },
): ParameterStoreChangeEvent[] {
  const req = parseJson(requestBody);
  const res = parseJson(responseBody);
  const event = (name: string, op: ParameterStoreChangeEvent['detail']['operation'], type: string, description: string): ParameterStoreChangeEvent => ({
    version: '0',
    id: randomUUID(),
    'detail-type': 'Parameter Store Change',
    source: 'aws.ssm',
    account: at.account,
    time: (at.now ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: at.region,
    resources: [`arn:aws:ssm:${at.region}:${at.account}:parameter${name.startsWith('/') ? '' : '/'}${name}`],
    detail: { name, type, operation: op, description },
  });
  const name = typeof req.Name === 'string' ? req.Name : undefined;
  const type = typeof req.Type === 'string' ? req.Type : 'String';
  const description = typeof req.Description === 'string' ? req.Description : '';
  switch (operation) {
    case 'PutParameter':
      // Version 1 is a new parameter; an overwrite answers with the next version.
      return name ? [event(name, res.Version === 1 ? 'Create' : 'Update', type, description)] : [];
    case 'DeleteParameter':
      return name ? [event(name, 'Delete', type, '')] : [];
    case 'DeleteParameters':
      return (Array.isArray(res.DeletedParameters) ? res.DeletedParameters : [])
        .filter((n): n is string => typeof n === 'string')
        .map((n) => event(n, 'Delete', 'String', ''));
    case 'LabelParameterVersion':
      return name ? [event(name, 'LabelParameterVersion', type, '')] : [];
    default:
      return [];
  }
}

export interface SsmProxy {
  /** `http://127.0.0.1:PORT`, for the functions' AWS_ENDPOINT_URL_SSM. */
  endpoint: string;
  /** Calls so far, optionally only those of one function (`app` id) and one operation (e.g. `GetParametersByPath`). */
  calls(filter?: { app?: string; operation?: string }): number;
  /** Every count, as `{ app: { operation: n } }`. */
  snapshot(): Record<string, Record<string, number>>;
  stop(): Promise<void>;
}

function appOf(req: IncomingMessage): string {
  const ua = `${req.headers['user-agent'] ?? ''} ${req.headers['x-amz-user-agent'] ?? ''}`;
  return /(?:^|\s)app\/([^\s]+)/.exec(ua)?.[1] ?? 'unknown';
}

function operationOf(req: IncomingMessage): string {
  const target = req.headers['x-amz-target'];
  const t = Array.isArray(target) ? target[0] : target;
  return t ? t.slice(t.indexOf('.') + 1) : 'unknown';
}

export async function startSsmProxy(target: string, options: SsmProxyOptions = {}): Promise<SsmProxy> {
  const counts = new CallCounts();
  const at = { region: options.region ?? 'us-east-1', account: options.account ?? '123456789012' };
  const proxy = await startPassThrough(target, 'Parameter Store', (req, res) => {
    const app = appOf(req);
    const operation = operationOf(req);
    counts.add(app, operation);
    const watched = options.onChange !== undefined && WRITES.has(operation);
    const requestChunks: Buffer[] = [];
    if (watched) req.on('data', (c: Buffer) => requestChunks.push(c));
    return (up) => {
      res.writeHead(up.statusCode ?? 502, up.rawHeaders);
      if (!watched || (up.statusCode ?? 500) >= 300) {
        up.pipe(res);
        return;
      }
      // The events go out once moto has answered, before the writer sees the answer (AWS emits them within seconds).
      const responseChunks: Buffer[] = [];
      up.on('data', (c: Buffer) => responseChunks.push(c));
      up.on('end', () => {
        const body = Buffer.concat(responseChunks);
        for (const event of changeEvents(operation, Buffer.concat(requestChunks).toString('utf8'), body.toString('utf8'), at)) options.onChange!(event);
        res.end(body);
      });
    };
  });
  return {
    ...proxy,
    calls: (filter = {}) => counts.total(filter.app, filter.operation),
    snapshot: () => counts.nested(),
  };
}
