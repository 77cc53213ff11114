// Reading denial log lines back: every shape an export may have, what is
// skipped, how denials are grouped, what the current policies answer, and how
// politely CloudWatch Logs is paged.
import type { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DenialTally, judge, parseLogLine, parseSince, preflightAsBrowserRequest } from '../../functions/cli/denials-model';
import { DENIAL_MESSAGE, DENY_REASONS, LAYER_SERVICE, PREFLIGHT_SERVICE } from '../../functions/aws/denial-line';
import { createLogger } from '../../functions/aws/logger';
import { answerPreflight } from '../../functions/aws/preflight-response';
import { AwsError } from '../../functions/cli/errors';
import { readLogEvents } from '../../functions/cli/logs';

const DENIAL = {
  timestamp: '2026-11-29T21:15:02.000Z',
  level: 'INFO',
  service: 'cors-preflight',
  message: 'preflight denied',
  reason: 'origin_not_allowed',
  detail: 'origin is not in allowOrigins',
  path: '/products/42',
  route: ['/products', '/products/{id}'],
  policy: '/cors/shop/products',
  origin: 'https://admin.example.com',
  method: 'PUT',
  requestHeaders: 'content-type',
  requestId: 'r1',
};
const line = (fields: Record<string, unknown> = {}) => JSON.stringify({ ...DENIAL, ...fields });

describe('parseLogLine', () => {
  const expected = {
    reason: 'origin_not_allowed',
    origin: 'https://admin.example.com',
    path: '/products/42',
    route: '/products, /products/{id}',
    policy: '/cors/shop/products',
    method: 'PUT',
    requestHeaders: 'content-type',
    time: Date.parse(DENIAL.timestamp),
  };

  test.each([
    ["the function's own line", line(), expected],
    ["the layer's own line", line({ service: 'cors-layer' }), expected],
    [
      'an exported filter-log-events event holding the line (the event time wins)',
      JSON.stringify({ logStreamName: 's', timestamp: 1, message: line(), ingestionTime: 2, eventId: 'e' }),
      { ...expected, time: 1 },
    ],
  ])('reads %s', (_what, text, denial) => {
    expect(parseLogLine(text)).toEqual({ kind: 'denial', denial });
  });

  test('reads the line exactly as answerPreflight writes it, for every deny reason', () => {
    for (const reason of DENY_REASONS) {
      const written: string[] = [];
      const logger = createLogger({ service: PREFLIGHT_SERVICE, write: (l) => written.push(l), env: {} });
      const metrics: Record<string, unknown> = {
        service: PREFLIGHT_SERVICE,
        function_name: 'f',
        reason,
        PreflightsDenied: 1,
        _aws: { Timestamp: 1, CloudWatchMetrics: [] },
      };
      // Each reason through the real logger, from the layer (minimal fields) and the function (with the metrics fields a line can carry).
      const layer = createLogger({ service: LAYER_SERVICE, write: (l) => written.push(l), env: {} });
      layer.info(DENIAL_MESSAGE, { reason, path: '/a', origin: 'https://a.example', method: 'GET' });
      logger.info(DENIAL_MESSAGE, { reason, detail: 'd', path: '/a', route: ['/a'], policy: 'p', origin: 'https://a.example', method: 'GET', ...metrics });
      for (const l of written) expect(parseLogLine(l)).toMatchObject({ kind: 'denial', denial: { reason, origin: 'https://a.example', path: '/a' } });
    }
  });

  test('a denial written by answerPreflight itself is read back', () => {
    const written: string[] = [];
    const logger = createLogger({ service: PREFLIGHT_SERVICE, write: (l) => written.push(l), env: {} });
    answerPreflight(undefined, { method: 'OPTIONS', path: '/x', origin: 'https://a.example', requestMethod: 'PUT', requestHeaders: 'x-a' }, { logger });
    expect(written).toHaveLength(1);
    expect(parseLogLine(written[0]!)).toMatchObject({
      kind: 'denial',
      denial: { reason: 'no_policies_loaded', origin: 'https://a.example', path: '/x', method: 'PUT', requestHeaders: 'x-a' },
    });
  });

  test.each([
    ['a line with a text prefix (console.log in Lambda text format)', `2026-11-29T21:15:02.000Z\tr1\tINFO\t${line()}`],
    [
      'a line wrapped in a Lambda JSON-format message (string)',
      JSON.stringify({ timestamp: '2026-01-01T00:00:00Z', level: 'INFO', requestId: 'r', message: line() }),
    ],
    ['a line wrapped in a Lambda JSON-format message (object)', JSON.stringify({ timestamp: '2026-01-01T00:00:00Z', level: 'INFO', message: DENIAL })],
    ['an unknown service', line({ service: 'my-api' })],
    ['a reason not in the fixed set', line({ reason: 'made_up' })],
    ['a reason of the wrong type', line({ reason: 7 })],
    ['a missing origin', line({ origin: undefined })],
    ['an origin of the wrong type', line({ origin: ['https://a.example'] })],
    ['a route of the wrong type', line({ route: [1] })],
    ['another level', line({ level: 'ERROR' })],
    ['fields in another order', JSON.stringify(Object.fromEntries(Object.entries(DENIAL).reverse()))],
    ['an export event whose message is a forged wrapper', JSON.stringify({ timestamp: 1, message: `prefix ${line()}`, ingestionTime: 2, eventId: 'e' })],
    ['a wrapper whose message is broken JSON', JSON.stringify({ message: '{"message":"preflight denied"' })],
    ['text that mentions it', 'preflight denied for everyone'],
  ])('%s is foreign: not counted as a denial', (_what, text) => {
    expect(parseLogLine(text).kind).toBe('foreign');
  });

  test("the log event time wins over the line's", () => {
    expect(parseLogLine(line(), 42)).toMatchObject({ denial: { time: 42 } });
  });

  test.each([
    ['another log line', JSON.stringify({ level: 'ERROR', message: 'policy refresh failed' }), 'other'],
    ['a metrics line', JSON.stringify({ message: 'metrics', _aws: {}, PreflightsAllowed: 3 }), 'other'],
    ['a platform line', JSON.stringify({ time: '2026-11-29T21:15:02Z', type: 'platform.report', record: {} }), 'other'],
    ['JSON that is not an object', '[1,2]', 'other'],
    ['text', 'START RequestId: 1 Version: $LATEST', 'malformed'],
    ['truncated JSON', line().slice(0, 40), 'malformed'],
    ['truncated JSON past the message', line().slice(0, 120), 'foreign'],
    ['an empty line', '   ', 'blank'],
  ])('%s is %s', (_what, text, kind) => {
    expect(parseLogLine(text).kind).toBe(kind);
  });
});

describe('DenialTally', () => {
  test('groups by origin, route and reason, most frequent first, with first and last seen', () => {
    const t = new DenialTally();
    t.addLine(line({ timestamp: '2026-11-29T21:00:00Z' }));
    t.addLine(line({ timestamp: '2026-11-29T21:30:00Z', path: '/products/7' }));
    t.addLine(line({ timestamp: '2026-11-29T21:10:00Z' }));
    t.addLine(line({ reason: 'no_route_policy', route: undefined, policy: undefined, path: '/orders/1', origin: 'https://shop.example.com' }));
    t.addLine('garbage');
    t.addLine('{"message":"something else"}');
    t.addLine('');
    t.addLine(`text prefix ${line()}`);
    expect(t.counts).toEqual({ read: 7, denials: 4, foreign: 1, other: 1, malformed: 1, outsideWindow: 0 });
    const [first, second] = t.top(10);
    expect(first).toMatchObject({
      origin: 'https://admin.example.com',
      route: '/products, /products/{id}',
      reason: 'origin_not_allowed',
      count: 3,
      firstSeen: Date.parse('2026-11-29T21:00:00Z'),
      lastSeen: Date.parse('2026-11-29T21:30:00Z'),
    });
    expect(first!.variants.size).toBe(2);
    expect(second).toMatchObject({ route: '(no policy)', reason: 'no_route_policy', count: 1 });
    expect(t.top(1)).toHaveLength(1);
  });

  test('denials before the window are counted apart', () => {
    const t = new DenialTally();
    t.addLine(line({ timestamp: '2026-11-29T20:00:00Z' }), undefined, Date.parse('2026-11-29T21:00:00Z'));
    t.addLine(line({ timestamp: '2026-11-29T22:00:00Z' }), undefined, Date.parse('2026-11-29T21:00:00Z'));
    expect(t.counts).toMatchObject({ denials: 1, outsideWindow: 1 });
  });
});

describe('judge', () => {
  const products = {
    source: '/cors/shop/products',
    value: JSON.stringify({
      route: ['/products', '/products/{id}'],
      allowOrigins: ['https://shop.example.com'],
      allowMethods: ['GET', 'PUT'],
      allowHeaders: ['content-type'],
    }),
  };
  const tallyOf = (...lines: string[]) => {
    const t = new DenialTally();
    for (const l of lines) t.addLine(l);
    return t.top(1)[0]!;
  };

  test('still denied: the verdict and the smallest edit, checked with the engine', () => {
    const v = judge([products], (n) => `/cors/shop/${n}`, tallyOf(line()));
    expect(v).toMatchObject({ allowedNow: false, stage: 'preflight', reason: 'origin_not_allowed' });
    expect(v.fixes).toEqual([
      expect.objectContaining({ policy: '/cors/shop/products', action: 'add', field: 'allowOrigins', value: 'https://admin.example.com' }),
    ]);
  });

  test('allowed by the policies as they are now', () => {
    expect(judge([products], (n) => n, tallyOf(line({ origin: 'https://shop.example.com' })))).toEqual({ allowedNow: true, fixes: [] });
  });

  test('a header list logged with spaces and capitals is read as a browser sends it', () => {
    expect(preflightAsBrowserRequest('https://a.example', 'GET', '/x', ' X-Trace , content-type,,x-trace')).toMatchObject({
      requestHeaders: 'content-type,x-trace',
      preflight: true,
      credentials: false,
    });
    const v = judge(
      [products],
      (n) => n,
      tallyOf(line({ origin: 'https://shop.example.com', reason: 'header_not_allowed', requestHeaders: 'X-Trace, content-type' })),
    );
    expect(v.fixes.map((f) => f.value)).toEqual(['x-trace']);
  });

  test('an origin no policy can allow is reported as such', () => {
    const v = judge([products], (n) => n, tallyOf(line({ origin: 'null' })));
    expect(v.allowedNow).toBe(false);
    expect(v.blocked).toMatch(/null/);
  });
});

test('parseSince: durations and ISO times', () => {
  const now = Date.parse('2026-11-29T22:00:00Z');
  expect(parseSince('1h', now)).toBe(Date.parse('2026-11-29T21:00:00Z'));
  expect(parseSince('30m', now)).toBe(Date.parse('2026-11-29T21:30:00Z'));
  expect(parseSince('2d', now)).toBe(Date.parse('2026-11-27T22:00:00Z'));
  expect(parseSince('2026-11-29T20:00:00Z', now)).toBe(Date.parse('2026-11-29T20:00:00Z'));
  expect(parseSince('yesterday', now)).toBeUndefined();
});

describe('readLogEvents', () => {
  function fakeClient(pages: Array<{ events: Array<{ message: string; timestamp: number }>; nextToken?: string }>) {
    const inputs: Array<Record<string, unknown>> = [];
    return {
      inputs,
      send: jest.fn(async (command: FilterLogEventsCommand) => {
        inputs.push(command.input as Record<string, unknown>);
        return pages[inputs.length - 1]!;
      }),
    };
  }

  test('pages until there is no token, one request at a time, pausing between pages', async () => {
    const client = fakeClient([
      { events: [{ message: 'a', timestamp: 1 }], nextToken: 't1' },
      { events: [], nextToken: 't2' },
      { events: [{ message: 'b', timestamp: 2 }] },
    ]);
    const sleep = jest.fn(async () => undefined);
    const seen: string[] = [];
    const result = await readLogEvents(
      client as never,
      { logGroup: '/g', startTime: 100, endTime: 200, filterPattern: '"preflight denied"', pageSize: 50, pauseMs: 250, sleep },
      (m) => seen.push(m),
    );
    expect(result).toEqual({ pages: 3, truncated: false });
    expect(seen).toEqual(['a', 'b']);
    expect(sleep.mock.calls).toEqual([[250], [250]]);
    expect(client.inputs[0]).toEqual({ logGroupName: '/g', startTime: 100, endTime: 200, filterPattern: '"preflight denied"', limit: 50 });
    expect(client.inputs[1]).toMatchObject({ nextToken: 't1' });
    expect(client.inputs[2]).toMatchObject({ nextToken: 't2' });
  });

  test('stops at maxPages and says the result is partial', async () => {
    const client = fakeClient(Array.from({ length: 5 }, (_, i) => ({ events: [], nextToken: `t${i}` })));
    const result = await readLogEvents(client as never, { logGroup: '/g', startTime: 0, maxPages: 2, sleep: async () => undefined }, () => undefined);
    expect(result).toEqual({ pages: 2, truncated: true });
    expect(client.send).toHaveBeenCalledTimes(2);
  });

  test('a failure becomes one line naming the operation, the log group and what to do', async () => {
    const client = {
      send: async () => Promise.reject(Object.assign(new Error('The specified log group does not exist.'), { name: 'ResourceNotFoundException' })),
    };
    const err = await readLogEvents(client as never, { logGroup: '/aws/lambda/x', startTime: 0 }, () => undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AwsError);
    expect((err as AwsError).message).toMatch(/^FilterLogEvents \/aws\/lambda\/x failed: ResourceNotFoundException: .*log group.* - no such log group/);
  });
});
