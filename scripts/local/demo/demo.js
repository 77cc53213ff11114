// The demo page: sends a cross-origin fetch() to the local API exactly as the
// form says, then shows three views of it: what the browser let the page see,
// what the gateway received and answered (from its /__local debug endpoint,
// served with its own permissive CORS), and, for a refusal, the CLI's explain.

const $ = (id) => document.getElementById(id);
let config;

const PRESETS = [
  { label: 'Simple GET', method: 'GET', path: '/products/42', headers: '', credentials: 'omit' },
  {
    label: 'JSON PUT with cookies',
    method: 'PUT',
    path: '/products/42',
    headers: 'content-type: application/json\nx-request-id: demo-7',
    credentials: 'include',
  },
  { label: 'Header not allowed', method: 'GET', path: '/products/42', headers: 'x-debug: 1', credentials: 'omit' },
  { label: 'patch in lower case', method: 'patch', path: '/products/42', headers: '', credentials: 'omit' },
  { label: 'Public data, any origin', method: 'GET', path: '/public/report.json', headers: 'x-client: demo', credentials: 'omit' },
  { label: 'Origin not allowed on this route', method: 'GET', path: '/orders/7', headers: '', credentials: 'omit' },
];

const SAFELISTED = new Set(['accept', 'accept-language', 'content-language', 'content-type']);
const SIMPLE_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'];

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else node.setAttribute(k, v);
  }
  for (const c of children.flat()) if (c !== undefined && c !== null) node.append(c instanceof Node ? c : String(c));
  return node;
}

function readForm() {
  const headers = [];
  for (const line of $('headers').value.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) headers.push([line.slice(0, i).trim(), line.slice(i + 1).trim()]);
  }
  return {
    method: $('method').value,
    path: $('path').value.trim() || '/',
    headers,
    body: $('body').value,
    credentials: document.querySelector('input[name=credentials]:checked').value,
  };
}

function hasBody(method) {
  return !['GET', 'HEAD'].includes(method.toUpperCase());
}

/** True when the browser sends this without a preflight (method and headers safelisted). */
function isSimple(req) {
  if (!['GET', 'HEAD', 'POST'].includes(req.method)) return false;
  return req.headers.every(([name, value]) => {
    const n = name.toLowerCase();
    if (!SAFELISTED.has(n) || value.length > 128) return false;
    return n !== 'content-type' || SIMPLE_TYPES.includes(value.split(';')[0].trim().toLowerCase());
  });
}

function snippet(req) {
  const init = { method: req.method };
  if (req.headers.length) init.headers = Object.fromEntries(req.headers);
  if (hasBody(req.method) && req.body) init.body = req.body;
  if (req.credentials !== 'same-origin') init.credentials = req.credentials;
  return `await fetch('${config.api}${req.path}', ${JSON.stringify(init, null, 2)})`;
}

async function getJson(url) {
  const res = await fetch(url, { cache: 'no-store' });
  return res.json();
}

function pathOf(p) {
  const q = p.indexOf('?');
  return q < 0 ? p : p.slice(0, q);
}

async function send(event) {
  event?.preventDefault();
  const req = readForm();
  $('send').disabled = true;
  $('verdict').className = 'verdict idle';
  $('verdict').textContent = 'Sending…';
  try {
    const before = (await getJson(`${config.api}/__local/stats`)).lastSeq;
    const init = { method: req.method, headers: req.headers, credentials: req.credentials, cache: 'no-store' };
    if (hasBody(req.method) && req.body) init.body = req.body;
    let verdict;
    try {
      const res = await fetch(config.api + req.path, init);
      const text = req.method.toUpperCase() === 'HEAD' ? '' : await res.text();
      verdict = { ok: true, status: res.status, statusText: res.statusText, headers: [...res.headers], body: text };
    } catch (err) {
      verdict = { ok: false, error: `${err.name}: ${err.message}` };
    }
    const seen = await getJson(
      `${config.api}/__local/requests?since=${before}&origin=${encodeURIComponent(location.origin)}&path=${encodeURIComponent(pathOf(req.path))}`,
    );
    const records = seen.records;
    renderVerdict(req, verdict);
    renderExchanges(req, verdict, records);
    const preflight = records.find((r) => r.kind === 'preflight');
    const refused = !verdict.ok || (preflight && preflight.status >= 300);
    if (refused) await renderExplain(req);
    else $('explain-box').hidden = true;
    addHistory(req, verdict, records);
    await renderMetrics();
    // The functions' log lines reach the gateway a moment after their answers: look again.
    setTimeout(() => renderMetrics().catch(() => undefined), 700);
  } catch (err) {
    $('verdict').className = 'verdict bad';
    $('verdict').textContent = `The demo could not reach the local stack: ${err.message}`;
  } finally {
    $('send').disabled = false;
  }
}

function renderVerdict(_req, v) {
  const box = $('verdict');
  box.replaceChildren();
  if (v.ok) {
    box.className = 'verdict ok';
    box.append(el('div', { class: 'headline' }, el('span', { class: 'badge ok' }, 'Allowed'), ` fetch() resolved: ${v.status} ${v.statusText}`));
    box.append(el('div', { class: 'label' }, 'Response headers this page can read'));
    box.append(
      el(
        'div',
        { class: 'chips' },
        v.headers.map(([k, val]) => el('span', { class: 'chip' }, el('b', {}, k), ': ', val)),
      ),
    );
    let body = v.body;
    try {
      body = JSON.stringify(JSON.parse(v.body), null, 2);
    } catch {}
    if (body) box.append(el('pre', { class: 'code small' }, body.split('\n').slice(0, 14).join('\n')));
  } else {
    box.className = 'verdict bad';
    box.append(el('div', { class: 'headline' }, el('span', { class: 'badge bad' }, 'Blocked'), ` fetch() rejected: ${v.error}`));
    box.append(el('div', { class: 'muted' }, 'A page is never told why a CORS check failed; the gateway’s view below is.'));
  }
}

function corsHeaders(headers) {
  return Object.entries(headers).filter(([k]) => k.startsWith('access-control-') || k === 'vary' || k === 'cache-control' || k === 'x-cors-deny-reason');
}

function diagnose(req, v, records) {
  const preflight = records.find((r) => r.kind === 'preflight');
  const actual = records.find((r) => r.kind === 'actual');
  if (preflight && preflight.status >= 300)
    return `The preflight was refused (${preflight.status}${preflight.denyReason ? `: ${preflight.denyReason}` : ''}), so the browser never sent the ${req.method}.`;
  if (!preflight && !isSimple(req) && actual) return 'No preflight reached the API: the browser reused its cached preflight answer (Access-Control-Max-Age).';
  if (!preflight && isSimple(req) && actual) {
    const acao = actual.responseHeaders['access-control-allow-origin'];
    if (!acao)
      return 'A simple request needs no preflight; the response carried no Access-Control-Allow-Origin for this origin, so the browser hid it from the page.';
    if (req.credentials === 'include' && actual.responseHeaders['access-control-allow-credentials'] !== 'true')
      return 'The response allows the origin but not credentials, so the browser hid it from this credentialed request.';
    return 'A simple request: no preflight needed; the response allowed this origin.';
  }
  if (preflight && !actual && !v.ok) return 'The preflight answered 2xx but the browser refused its headers for this request.';
  if (actual && !v.ok) {
    if (req.credentials === 'include' && actual.responseHeaders['access-control-allow-credentials'] !== 'true')
      return 'The actual response does not allow credentials, so the browser hid it.';
    return 'The actual response failed the browser’s CORS check.';
  }
  return preflight ? 'Preflight allowed, then the request itself.' : '';
}

function renderExchanges(req, v, records) {
  const box = $('exchanges');
  box.replaceChildren();
  box.className = '';
  const note = diagnose(req, v, records);
  if (note) box.append(el('p', { class: 'note' }, note));
  if (records.length === 0) box.append(el('p', { class: 'muted' }, 'Nothing reached the API.'));
  for (const r of records) {
    const good = r.status < 300;
    const sent = [];
    if (r.kind === 'preflight') {
      sent.push(['origin', r.origin], ['access-control-request-method', r.requestMethod]);
      if (r.requestHeaders) sent.push(['access-control-request-headers', r.requestHeaders]);
    } else if (r.origin) sent.push(['origin', r.origin]);
    sent.push(['cookie', r.cookie ? 'sent' : 'none']);
    box.append(
      el(
        'div',
        { class: `exchange ${good ? 'ok' : 'bad'}` },
        el(
          'div',
          { class: 'line' },
          el('span', { class: 'badge method' }, r.method),
          ` ${r.path} `,
          el('span', { class: 'arrow' }, '→'),
          el('b', {}, ` ${r.status}`),
          el('span', { class: 'muted' }, `  ${r.kind === 'preflight' ? 'preflight' : 'request'} · ${r.payload} event · ${r.ms} ms`),
        ),
        el(
          'div',
          { class: 'cols' },
          el('div', {}, el('div', { class: 'label' }, 'Sent'), ...sent.map(([k, val]) => el('div', { class: 'kv' }, el('b', {}, k), ': ', val))),
          el(
            'div',
            {},
            el('div', { class: 'label' }, 'Answered'),
            ...(corsHeaders(r.responseHeaders).length
              ? corsHeaders(r.responseHeaders).map(([k, val]) => el('div', { class: 'kv' }, el('b', {}, k), ': ', val))
              : [el('div', { class: 'kv muted' }, 'no CORS headers')]),
          ),
        ),
      ),
    );
  }
}

async function renderExplain(req) {
  $('explain-box').hidden = false;
  $('explain').textContent = 'running cors-policy explain…';
  const q = new URLSearchParams({ origin: location.origin, method: req.method, path: pathOf(req.path), credentials: req.credentials });
  for (const [name, value] of req.headers) q.append('headers', name.toLowerCase() === 'content-type' ? `${name}:${value}` : name);
  try {
    const r = await getJson(`/__demo/explain?${q}`);
    $('explain').textContent = r.available ? `$ ${r.command}\n\n${r.text}` : `(explain is not available: ${r.text})`;
  } catch (err) {
    $('explain').textContent = `(explain failed: ${err.message})`;
  }
}

function addHistory(req, v, records) {
  const preflight = records.find((r) => r.kind === 'preflight');
  const actual = records.filter((r) => r.kind === 'actual');
  const pre = preflight
    ? `${preflight.status}${preflight.denyReason ? ` ${preflight.denyReason.split(':')[0]}` : ''}`
    : isSimple(req)
      ? 'not needed'
      : 'cached';
  const row = el(
    'tr',
    { class: v.ok ? 'ok' : 'bad' },
    el('td', {}, new Date().toLocaleTimeString()),
    el(
      'td',
      {},
      el('code', {}, `${req.method} ${req.path}`),
      req.headers.length ? el('span', { class: 'muted' }, ` + ${req.headers.map(([k]) => k.toLowerCase()).join(', ')}`) : null,
    ),
    el('td', {}, req.credentials),
    el('td', {}, el('span', { class: `badge ${v.ok ? 'ok' : 'bad'}` }, v.ok ? `allowed ${v.status}` : 'blocked')),
    el('td', {}, pre),
    el('td', {}, actual.length ? actual.map((r) => `${r.method} → ${r.status}${r.cookie ? ' (cookie)' : ''}`).join(', ') : '—'),
  );
  $('history').tBodies[0].prepend(row);
}

/** The metric series from /__local/stats: counts by function (and deny reason), with the latest gauge values. */
async function renderMetrics() {
  const stats = await getJson(`${config.api}/__local/stats`);
  const series = (stats.metrics?.series ?? []).filter((s) => !(s.name === 'PreflightsDenied' && s.dimensions.reason === undefined));
  const body = $('metrics').tBodies[0];
  body.replaceChildren();
  if (series.length === 0) body.append(el('tr', {}, el('td', { colspan: '5', class: 'muted' }, 'No metrics yet.')));
  for (const s of series) {
    const gauge = s.name === 'PolicyAgeSeconds' || s.name === 'InvalidPolicyParameters';
    body.append(
      el(
        'tr',
        {},
        el('td', {}, el('code', {}, s.name)),
        el('td', {}, `${s.dimensions.function_name} (${s.dimensions.service})`),
        el('td', {}, s.dimensions.reason ?? ''),
        el('td', {}, gauge ? '' : String(s.sum)),
        el('td', {}, gauge ? `${s.last}${s.unit === 'Seconds' ? ' s' : ''}` : ''),
      ),
    );
  }
}

function applyPreset(p) {
  $('method').value = p.method;
  $('path').value = p.path;
  $('headers').value = p.headers;
  document.querySelector(`input[name=credentials][value="${p.credentials}"]`).checked = true;
  updateForm();
}

function cookieState() {
  const found = document.cookie
    .split(';')
    .map((c) => c.trim())
    .find((c) => c.startsWith('demo_session='));
  $('cookie-state').textContent = found ?? 'none';
}

function updateForm() {
  const req = readForm();
  $('body-label').hidden = !hasBody(req.method);
  $('snippet').textContent = snippet(req);
}

async function init() {
  config = await getJson('/__demo/config');
  $('page-origin').textContent = location.origin;
  $('api-url').textContent = config.api;
  $('payload').textContent = config.payload === 'v2' ? 'HTTP API · payload v2' : 'REST API · payload v1';
  $('policy-path').textContent = config.policyPath;
  $('ttl').textContent = config.ttlSeconds;
  $('cookie-host').textContent = location.hostname;
  for (const p of PRESETS) {
    const b = el('button', { type: 'button', class: 'preset' }, p.label);
    b.addEventListener('click', () => applyPreset(p));
    $('presets').append(b);
  }
  $('form').addEventListener('submit', send);
  $('form').addEventListener('input', updateForm);
  $('set-cookie').addEventListener('click', () => {
    // Host-only and SameSite=Lax: sent to the API on the same host (another port is the same site).
    // biome-ignore lint/suspicious/noDocumentCookie: the demo sets a plain session cookie to show credentialed CORS.
    document.cookie = `demo_session=${Math.random().toString(36).slice(2, 10)}; path=/; SameSite=Lax`;
    cookieState();
  });
  $('clear-cookie').addEventListener('click', () => {
    // biome-ignore lint/suspicious/noDocumentCookie: clears the demo's own session cookie.
    document.cookie = 'demo_session=; path=/; max-age=0';
    cookieState();
  });
  cookieState();
  updateForm();
  renderMetrics().catch(() => undefined);
}

init().catch((err) => {
  $('verdict').className = 'verdict bad';
  $('verdict').textContent = `Could not load the demo configuration: ${err.message}`;
});
