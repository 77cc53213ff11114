/**
 * `npm start` end to end: the real start script (without its build step; the
 * suite runs after the build), what it prints, the demo page driven in
 * Chromium, and a clean stop on SIGINT.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { BROWSER_WAIT_MS, launchChromium } from './harness';

const ROOT = join(__dirname, '..', '..');

let child: ChildProcessWithoutNullStreams;
let output = '';
let browser: Browser;
const urls: Record<string, string> = {};

function waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const m = output.match(pattern);
      if (m) {
        clearInterval(timer);
        clearTimeout(deadline);
        resolve(m);
      }
    };
    const timer = setInterval(check, 50);
    const deadline = setTimeout(() => {
      clearInterval(timer);
      reject(new Error(`npm start did not print ${pattern} within ${timeoutMs} ms; output so far:\n${output}`));
    }, timeoutMs);
    check();
  });
}

function exited(): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.once('exit', (code) => resolve(code));
  });
}

beforeAll(async () => {
  browser = await launchChromium();
  child = spawn(process.execPath, [join(ROOT, 'scripts', 'start.mjs'), '--no-build', '--port', '0', '--page-port', '0'], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1' },
  });
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  await waitFor(/Ctrl-C stops everything/, 100_000);
  for (const [name, re] of Object.entries({ page: /Demo page\s+(\S+)/, other: /Same page\s+(\S+)/, api: /API\s+(http\S+)/, moto: /Parameter Store\s+(\S+)/ })) {
    urls[name] = (output.match(re) as RegExpMatchArray)[1] as string;
  }
});

afterAll(async () => {
  await browser?.close();
  if (child && child.exitCode === null) {
    child.kill('SIGKILL');
    await exited();
  }
});

describe('npm start', () => {
  it('prints the demo page, the API, the Parameter Store endpoint and ready commands to edit a policy', () => {
    expect(urls.page).toMatch(/^http:\/\/localhost:\d+$/);
    expect(urls.other).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(urls.api).toMatch(/^http:\/\/localhost:\d+$/);
    expect(urls.moto).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(output).toContain('3 policies from examples/ via cors-policy push');
    expect(output).toContain(
      `aws ssm put-parameter --endpoint-url ${urls.moto} --name /cors/demo-api/products --type String --overwrite --value file://examples/products.json`,
    );
    expect(output).toContain(`AWS_ENDPOINT_URL_SSM=${urls.moto}`);
  });

  it('answers a preflight from the demo origin with the seeded products policy, and logs it', async () => {
    const res = await fetch(`${urls.api}/products/42`, { method: 'OPTIONS', headers: { Origin: urls.page as string, 'Access-Control-Request-Method': 'PUT' } });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(urls.page);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    await waitFor(/OPTIONS\s+\/products\/42 204 http:\/\/localhost:\d+ · preflight PUT/, 30_000);
  });

  describe('the demo page in Chromium', () => {
    async function openDemo(origin: string): Promise<Page> {
      const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
      page.setDefaultTimeout(BROWSER_WAIT_MS);
      await page.goto(`${origin}/`);
      // Expressions as strings: they run in the page, and this project's types have no DOM.
      await page.waitForFunction("document.getElementById('api-url').textContent.startsWith('http')");
      return page;
    }

    async function run(page: Page, preset: string): Promise<void> {
      await page.click(`button.preset:text-is("${preset}")`);
      await page.click('#send');
      await page.waitForFunction("!document.getElementById('send').disabled && document.getElementById('verdict').textContent !== 'Sending…'");
    }

    const text = (page: Page, selector: string) => page.locator(selector).textContent();

    it('shows an allowed credentialed PUT: the preflight answer, the request with its cookie, and no explain', async () => {
      const page = await openDemo(urls.page as string);
      await page.click('#set-cookie');
      await run(page, 'JSON PUT with cookies');
      expect(await text(page, '#verdict')).toMatch(/^Allowed fetch\(\) resolved: 200/);
      const exchanges = await text(page, '#exchanges');
      expect(exchanges).toMatch(/OPTIONS \/products\/42 → 204/);
      expect(exchanges).toMatch(/access-control-allow-credentials: true/);
      expect(exchanges).toMatch(/PUT \/products\/42 → 200/);
      expect(await text(page, '#history tbody tr')).toMatch(/PUT → 200 \(cookie\)/);
      expect(await page.locator('#explain-box').isHidden()).toBe(true);
      await page.context().close();
    });

    it('shows a refused header with the preflight deny reason and the explain output', async () => {
      const page = await openDemo(urls.page as string);
      await run(page, 'Header not allowed');
      expect(await text(page, '#verdict')).toMatch(/^Blocked fetch\(\) rejected: TypeError: Failed to fetch/);
      expect(await text(page, '#exchanges')).toMatch(/The preflight was refused \(403: header_not_allowed: header x-debug/);
      await page.waitForFunction("/Verdict:/.test(document.getElementById('explain').textContent)");
      const explain = await text(page, '#explain');
      expect(explain).toContain('cors-policy explain --path /cors/demo-api --url-path /products/42');
      expect(explain).toMatch(/Verdict: BLOCKED/);
      expect(explain).toContain('header_not_allowed');
      // The metrics table: the denial, by reason, as the function's EMF block counted it.
      await page.waitForFunction(
        "/PreflightsDenied\\s+cors-preflight \\(cors-preflight\\)\\s+header_not_allowed\\s+[1-9]/.test(document.getElementById('metrics').innerText)",
      );
      await page.context().close();
    });

    it('shows a simple GET from an origin no policy allows reaching the API but hidden from the page', async () => {
      const page = await openDemo(urls.other as string);
      await run(page, 'Simple GET');
      expect(await text(page, '#verdict')).toMatch(/^Blocked/);
      expect(await text(page, '#exchanges')).toMatch(/no Access-Control-Allow-Origin for this origin/);
      await page.context().close();
    });
  });

  it('stops the servers and moto on SIGINT and exits 0', async () => {
    child.kill('SIGINT');
    expect(await exited()).toBe(0);
    expect(output).toContain('stopped.');
    await expect(fetch(`${urls.moto}/moto-api/`)).rejects.toThrow();
    await expect(fetch(`${urls.api}/__local/stats`)).rejects.toThrow();
  });
});
