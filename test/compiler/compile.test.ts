// The compiler's pure rules: what each parameter serves (current, earlier
// version, previous snapshot, rejected), what counts as a change, its
// configuration, the trigger of each event and its EMF metrics.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ListedParameter } from '../../functions/aws/parameters-by-path';
import { earlierVersionOf, type HistoryOutcome } from '../../functions/aws/policy-compile';
import { servedSet, snapshotChanges, snapshotParameters } from '../../functions/compiler/compile';
import { readCompilerConfig } from '../../functions/compiler/config';
import { triggerOf } from '../../functions/compiler/handler';
import { COMPILER_METRIC, compilerMetricFields } from '../../functions/compiler/metrics';
import type { PolicySnapshot } from '../../functions/core/snapshot';
import { basePolicy } from '../support/policies';

const value = (route: string, origin = 'https://shop.example.com') => JSON.stringify(basePolicy({ route, allowOrigins: [origin] }));
const listed = (name: string, v: string, version: number): ListedParameter => ({ name, value: v, type: 'String', version, modified: version * 1000 });
const previous = (parameters: PolicySnapshot['parameters']): PolicySnapshot => ({
  format: 1,
  sequence: 4,
  policyPath: '/cors/api',
  listedAt: '2026-12-06T12:00:00.000Z',
  writtenAt: '2026-12-06T12:00:00.000Z',
  parameters,
});
const unreadable: HistoryOutcome = { kind: 'unreadable', error: Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }) };

describe('what each parameter serves', () => {
  test('a valid current value serves as itself; the output is sorted by name', () => {
    const out = snapshotParameters([listed('/cors/api/b', value('/b'), 2), listed('/cors/api/a', value('/a'), 1)], new Map(), undefined);
    expect(out).toEqual([
      { name: '/cors/api/a', version: 1, status: 'current', servedVersion: 1, value: value('/a') },
      { name: '/cors/api/b', version: 2, status: 'current', servedVersion: 2, value: value('/b') },
    ]);
  });

  test('an invalid value serves the newest valid earlier version, with the validation problem as the reason', () => {
    const history = [
      { version: 1, value: value('/a', 'https://v1.example.com') },
      { version: 2, value: value('/a', 'https://v2.example.com') },
      { version: 3, value: '{oops' },
    ];
    const outcomes = new Map([['/cors/api/a', earlierVersionOf('/cors/api/a', history, 3)]]);
    const [p] = snapshotParameters([listed('/cors/api/a', '{oops', 3)], outcomes, undefined);
    expect(p).toMatchObject({ status: 'earlier-version', version: 3, servedVersion: 2, value: value('/a', 'https://v2.example.com') });
    expect(p!.reason).toMatch(/not valid JSON/);
  });

  test('no valid version: rejected, nothing serves', () => {
    const [p] = snapshotParameters([listed('/cors/api/a', '{oops', 1)], new Map([['/cors/api/a', { kind: 'none' } as const]]), undefined);
    expect(p).toMatchObject({ status: 'rejected', reason: expect.stringContaining('no earlier version validates') });
    expect(p).not.toHaveProperty('value');
  });

  test('history unreadable: the previous snapshot value of an earlier version keeps serving, else rejected with the error', () => {
    const prior = previous([{ name: '/cors/api/a', version: 2, status: 'current', servedVersion: 2, value: value('/a') }]);
    const outcomes = new Map([['/cors/api/a', unreadable]]);
    const [held] = snapshotParameters([listed('/cors/api/a', '{oops', 3)], outcomes, prior);
    expect(held).toMatchObject({
      status: 'previous-snapshot',
      version: 3,
      servedVersion: 2,
      value: value('/a'),
      reason: expect.stringContaining('ThrottlingException'),
    });
    const [none] = snapshotParameters([listed('/cors/api/a', '{oops', 3)], outcomes, undefined);
    expect(none).toMatchObject({ status: 'rejected', reason: expect.stringContaining('could not be read') });
    // A parameter deleted and written again restarts at version 1: the old incarnation's value is not reused.
    const [recreated] = snapshotParameters([listed('/cors/api/a', '{oops', 1)], outcomes, prior);
    expect(recreated).toMatchObject({ status: 'rejected' });
    // A previous value that was itself rejected gives nothing to hold on to.
    const [rejected] = snapshotParameters([listed('/cors/api/a', '{oops', 3)], outcomes, previous([{ name: '/cors/api/a', version: 2, status: 'rejected' }]));
    expect(rejected).toMatchObject({ status: 'rejected' });
  });

  test('history unreadable for a version whose earlier version the previous snapshot already found: the same entry, no change', () => {
    const entry = { name: '/cors/api/a', version: 3, status: 'earlier-version' as const, servedVersion: 2, value: value('/a'), reason: 'bad' };
    const out = snapshotParameters([listed('/cors/api/a', '{oops', 3)], new Map([['/cors/api/a', unreadable]]), previous([entry]));
    expect(out).toEqual([entry]);
    expect(snapshotChanges([entry], out)).toEqual([]);
  });

  test('a previous-snapshot value is held across runs while history stays unreadable', () => {
    const first = snapshotParameters(
      [listed('/cors/api/a', '{oops', 3)],
      new Map([['/cors/api/a', unreadable]]),
      previous([{ name: '/cors/api/a', version: 2, status: 'current', servedVersion: 2, value: value('/a') }]),
    );
    const second = snapshotParameters([listed('/cors/api/a', '{oops', 4)], new Map([['/cors/api/a', unreadable]]), previous(first));
    expect(second[0]).toMatchObject({ status: 'previous-snapshot', version: 4, servedVersion: 2 });
  });

  test('reasons are clipped so a hostile value cannot bloat the snapshot', () => {
    const [p] = snapshotParameters([listed('/cors/api/a', JSON.stringify({ route: 'x'.repeat(5000) }), 1)], new Map(), undefined);
    expect(p!.reason!.length).toBeLessThanOrEqual(600);
  });

  test('the served set applies route_conflict as instances do', () => {
    const params = snapshotParameters([listed('/cors/api/a', value('/same/{a}'), 1), listed('/cors/api/b', value('/same/{b}'), 1)], new Map(), undefined);
    expect(servedSet('/cors/api', params).conflicts.map((c) => c.key)).toEqual(['/same/{}']);
  });
});

describe('changes', () => {
  const a1 = { name: '/a', version: 1, status: 'current' as const, servedVersion: 1, value: 'x' };
  test('added, removed and changed parameters, with versions and statuses from and to; equal ones are not changes', () => {
    const before = [a1, { name: '/gone', version: 3, status: 'current' as const, servedVersion: 3, value: 'g' }];
    const after = [
      { name: '/a', version: 2, status: 'earlier-version' as const, servedVersion: 1, value: 'x', reason: 'bad' },
      { name: '/new', version: 1, status: 'current' as const, servedVersion: 1, value: 'n' },
    ];
    expect(snapshotChanges(before, after)).toEqual([
      {
        parameter: '/a',
        change: 'changed',
        fromVersion: 1,
        toVersion: 2,
        fromServedVersion: 1,
        toServedVersion: 1,
        fromStatus: 'current',
        toStatus: 'earlier-version',
      },
      {
        parameter: '/gone',
        change: 'removed',
        fromVersion: 3,
        toVersion: null,
        fromServedVersion: 3,
        toServedVersion: null,
        fromStatus: 'current',
        toStatus: null,
      },
      {
        parameter: '/new',
        change: 'added',
        fromVersion: null,
        toVersion: 1,
        fromServedVersion: null,
        toServedVersion: 1,
        fromStatus: null,
        toStatus: 'current',
      },
    ]);
    expect(snapshotChanges([a1], [{ ...a1 }])).toEqual([]);
  });
});

describe('configuration', () => {
  const env = { CORS_POLICY_PATH: '/cors/api/', CORS_SNAPSHOT_BUCKET: 'my-bucket' };
  test('defaults: the key derived from the path, no delete on stack delete, the ApigwCors namespace', () => {
    expect(readCompilerConfig(env)).toEqual({
      policyPath: '/cors/api',
      bucket: 'my-bucket',
      key: 'cors-snapshots/cors/api.json',
      deleteOnStackDelete: false,
      metricsNamespace: 'ApigwCors',
    });
    expect(readCompilerConfig({ ...env, CORS_SNAPSHOT_KEY: 'x/y.json', CORS_SNAPSHOT_DELETE_ON_STACK_DELETE: 'TRUE' })).toMatchObject({
      key: 'x/y.json',
      deleteOnStackDelete: true,
    });
  });

  test('every problem at once, each naming its variable', () => {
    expect(() =>
      readCompilerConfig({
        CORS_SNAPSHOT_BUCKET: 'Bad_Bucket',
        CORS_SNAPSHOT_KEY: '/abs',
        CORS_SNAPSHOT_DELETE_ON_STACK_DELETE: 'yes',
        CORS_METRICS_NAMESPACE: 'AWS/Lambda',
      }),
    ).toThrow(
      /CORS_POLICY_PATH is not set.*CORS_SNAPSHOT_BUCKET="Bad_Bucket".*CORS_SNAPSHOT_KEY="\/abs".*CORS_SNAPSHOT_DELETE_ON_STACK_DELETE="yes".*CORS_METRICS_NAMESPACE="AWS\/Lambda"/,
    );
    expect(() => readCompilerConfig({ CORS_POLICY_PATH: '/cors/api' })).toThrow(/CORS_SNAPSHOT_BUCKET is not set/);
    expect(() => readCompilerConfig({ ...env, CORS_POLICY_PATH: '/cors/{x}' })).toThrow(/CORS_POLICY_PATH="\/cors\/\{x\}"/);
  });
});

describe('events are triggers', () => {
  const event = (file: string) => JSON.parse(readFileSync(join(__dirname, 'events', file), 'utf8')) as unknown;
  test('a Parameter Store change names the parameter and operation; a schedule is a schedule; anything else is a manual run', () => {
    expect(triggerOf(event('parameter-store-change.json'))).toEqual({
      kind: 'change',
      name: '/cors/shop-api/orders',
      operation: 'Update',
      time: '2026-12-06T12:00:00Z',
    });
    expect(triggerOf(event('scheduled.json'))).toEqual({ kind: 'schedule' });
    expect(triggerOf({})).toEqual({ kind: 'manual' });
    expect(triggerOf(null)).toEqual({ kind: 'manual' });
    expect(triggerOf({ source: 'aws.ssm', 'detail-type': 'Parameter Store Change', detail: { name: 42 } })).toEqual({ kind: 'change' });
  });
});

describe('metrics', () => {
  test('EMF with the contract names and the service dimension only', () => {
    const fields = compilerMetricFields('Ns', { ok: true, invalidParameters: 2, bytes: 1234, changes: 3 }, 1000);
    expect(fields).toEqual({
      _aws: {
        Timestamp: 1000,
        CloudWatchMetrics: [
          {
            Namespace: 'Ns',
            Dimensions: [['service']],
            Metrics: [
              { Name: 'SnapshotCompiles', Unit: 'Count' },
              { Name: 'SnapshotCompileFailures', Unit: 'Count' },
              { Name: 'InvalidPolicyParameters', Unit: 'Count' },
              { Name: 'SnapshotBytes', Unit: 'Bytes' },
              { Name: 'PolicyChanges', Unit: 'Count' },
            ],
          },
        ],
      },
      service: 'cors-compiler',
      SnapshotCompiles: 1,
      SnapshotCompileFailures: 0,
      InvalidPolicyParameters: 2,
      SnapshotBytes: 1234,
      PolicyChanges: 3,
    });
    expect(Object.values(COMPILER_METRIC).sort()).toEqual([
      'InvalidPolicyParameters',
      'PolicyChanges',
      'SnapshotBytes',
      'SnapshotCompileFailures',
      'SnapshotCompiles',
    ]);
    expect(compilerMetricFields('Ns', { ok: false })).toMatchObject({ SnapshotCompiles: 0, SnapshotCompileFailures: 1 });
  });
});
