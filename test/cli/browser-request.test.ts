import { browserRequest, parseHeaderItems, safelistHeader, type ExplainFlags } from '../../functions/cli/browser-request';
import { UsageError } from '../../functions/cli/errors';

const base: ExplainFlags = { urlPath: '/a', origin: 'https://app.example.com', method: 'GET', headers: [], credentials: false };

describe('which requests are preflighted', () => {
  it.each(['GET', 'HEAD', 'POST', 'get', 'post'])('%s without headers is a simple request', (method) => {
    const r = browserRequest({ ...base, method });
    expect(r.preflight).toBe(false);
    expect(r.requestHeaders).toBeUndefined();
  });

  it.each(['PUT', 'DELETE', 'PATCH', 'patch', 'OPTIONS'])('%s is preflighted', (method) => {
    expect(browserRequest({ ...base, method }).preflight).toBe(true);
  });

  it('upper-cases only the methods Fetch normalizes', () => {
    expect(browserRequest({ ...base, method: 'delete' }).method).toBe('DELETE');
    const patch = browserRequest({ ...base, method: 'patch' });
    expect(patch.method).toBe('patch');
    expect(patch.notes.join(' ')).toContain('exactly as written');
  });

  it('sends Access-Control-Request-Headers as a browser does: lower case, sorted, unique, safelisted ones left out', () => {
    const r = browserRequest({ ...base, method: 'POST', headers: ['X-Trace, Content-Type', 'accept,x-trace', 'authorization'] });
    expect(r.preflight).toBe(true);
    expect(r.requestHeaders).toBe('authorization,content-type,x-trace');
  });

  it('drops forbidden headers, which scripts cannot set', () => {
    const r = browserRequest({ ...base, headers: ['cookie', 'sec-fetch-mode'] });
    expect(r.preflight).toBe(false);
    expect(r.headers.every((h) => h.forbidden)).toBe(true);
  });

  it('ignores the query string', () => {
    const r = browserRequest({ ...base, urlPath: '/a/b?x=1' });
    expect(r.path).toBe('/a/b');
    expect(r.notes[0]).toContain('query string');
  });

  it('refuses a path that does not start with "/" and a header name that is not a token', () => {
    expect(() => browserRequest({ ...base, urlPath: 'a' })).toThrow(UsageError);
    expect(() => parseHeaderItems(['x trace'])).toThrow(UsageError);
  });
});

describe('CORS-safelisted request headers', () => {
  const safelisted: Array<[name: string, value: string | undefined]> = [
    ['content-type', 'text/plain;charset=UTF-8'],
    ['content-type', 'multipart/form-data; boundary=x'],
    ['accept', undefined],
    ['accept-language', 'en-GB,en;q=0.9'],
    ['range', 'bytes=0-'],
    ['range', 'bytes=0-99'],
  ];
  const notSafelisted: Array<[name: string, value: string | undefined]> = [
    ['content-type', 'application/json'],
    ['content-type', undefined],
    ['accept', 'text/html('],
    ['content-language', 'de/at'],
    ['range', 'bytes=0-1,5-6'],
    ['range', undefined],
    ['accept', 'x'.repeat(129)],
    ['x-trace', '1'],
  ];
  it.each([...safelisted.map(([name, value]) => [name, value, true] as const), ...notSafelisted.map(([name, value]) => [name, value, false] as const)])(
    '%s: %s -> %s',
    (name, value, expected) => {
      expect(safelistHeader(name, value).safelisted).toBe(expected);
    },
  );

  it('a safelisted content-type keeps a POST simple', () => {
    expect(browserRequest({ ...base, method: 'POST', headers: ['content-type:application/x-www-form-urlencoded'] }).preflight).toBe(false);
    expect(browserRequest({ ...base, method: 'POST', headers: ['content-type'] }).preflight).toBe(true);
  });
});
