import { AWS_OPTIONS } from '../args';
import { defineCommand } from '../command';
import { EXIT, UsageError } from '../errors';
import { browserRequest } from '../browser-request';
import { renderExplain } from '../explain-render';
import { explainReport } from '../explain-report';
import { loadEntries, sourceOptions } from './shared';

export const explain = defineCommand({
  name: 'explain',
  usage:
    'cors-policy explain (--path /cors/my-api | --dir policies) --url-path /products/42 --origin https://shop.example.com [--method PUT] [--headers content-type,x-trace] [--credentials] [--json]',
  summary:
    'Answers "would this browser request pass, and if not, why?": whether the browser sends a preflight, which policy\'s route matches the path and why, the exact response the preflight Lambda gives (from the same decidePreflight), the CORS headers the apigw-cors layer adds to the actual response, whether the browser accepts them, and for a refusal the reason and the smallest policy change that would allow it (verified with the engine).',
  options: {
    ...sourceOptions({ path: 'read the policies from this Parameter Store path', dir: 'read the policies from files in this directory instead' }),
    'url-path': { type: 'string', value: 'PATH', help: 'request path relative to the API root, without the stage, e.g. /products/42 (required)' },
    origin: { type: 'string', value: 'ORIGIN', help: 'origin of the calling page, e.g. https://shop.example.com (required; "null" for sandboxed pages)' },
    method: { type: 'string', value: 'METHOD', help: 'the method the script uses (default: GET)' },
    headers: { type: 'string', value: 'LIST', multiple: true, help: 'request headers the script sets: name or name:value, comma-separated, repeatable' },
    credentials: { type: 'boolean', help: "the request is credentialed (fetch credentials: 'include', XHR withCredentials)" },
    ...AWS_OPTIONS,
  },
  details:
    'content-type without a value is taken as a non-safelisted type such as application/json; write content-type:text/plain to model a form post.\nInvalid policies are warnings: like the Lambda, explain leaves them out and answers with the rest.\nexit codes: 0 the browser would accept the request, 3 it would block it, 2 usage, AWS or file error',
  // Everything shown comes from Parameter Store or files.
  remoteText: true,
  async run({ values }, out) {
    const req = browserRequest({
      urlPath: required('url-path', values['url-path']),
      origin: required('origin', values.origin),
      method: values.method ?? 'GET',
      headers: values.headers ?? [],
      credentials: values.credentials === true,
    });
    const report = explainReport(await loadEntries(values), req);
    renderExplain(out, report);
    return report.document.verdict.allowed ? EXIT.ok : EXIT.negative;
  },
});

function required(name: string, v: string | undefined): string {
  if (v === undefined) throw new UsageError(`--${name} is required (see: cors-policy explain --help)`);
  return v;
}
