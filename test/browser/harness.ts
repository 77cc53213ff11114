// Drives Debian's Chromium through playwright-core for the browser suite.
// Every *.test host resolves to 127.0.0.1, so pages and the API get distinct,
// real origins (http://app.example.test:PORT, http://api.example.test:PORT...)
// while everything stays on loopback.
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startMoto, type MotoServer } from '../../scripts/lib/moto';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Playwright's waits (launch, navigation, waitForFunction), sized for a loaded 2-core machine rather than its 30 s default. */
export const BROWSER_WAIT_MS = 90_000;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    timeout: BROWSER_WAIT_MS,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-quic',
      '--disable-sync',
      '--host-resolver-rules=MAP *.test 127.0.0.1',
    ],
  });
}

/**
 * Chromium and a moto server shared by a whole test file: registers the file's
 * beforeAll that starts both (at once) and afterAll that stops them.
 */
export function chromiumAndMoto(): { browser: () => Browser; moto: () => MotoServer } {
  let browser: Browser | undefined;
  let moto: MotoServer | undefined;
  beforeAll(async () => {
    [browser, moto] = await Promise.all([launchChromium(), startMoto()]);
  });
  afterAll(async () => {
    await browser?.close();
    await moto?.stop();
  });
  const started = <T>(what: T | undefined, name: string): T => {
    if (what === undefined) throw new Error(`${name} is not started: call chromiumAndMoto() at the top of the file`);
    return what;
  };
  return { browser: () => started(browser, 'Chromium'), moto: () => started(moto, 'moto') };
}

/** What the page's script got from fetch(): the response it may read, or the error. */
export type Verdict = { ok: true; status: number; headers: Record<string, string>; body: string } | { ok: false; error: string };

export interface FetchInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  credentials?: 'omit' | 'same-origin' | 'include';
  cache?: 'default' | 'no-store';
}

/** Runs fetch() in the page; `headers` of the result are exactly those the script can read. */
export function fetchFrom(page: Page, url: string, init: FetchInit = {}): Promise<Verdict> {
  return page.evaluate(
    async ({ url, init }) => {
      try {
        const res = await fetch(url, init as RequestInit);
        const body = await res.text();
        const headers: Record<string, string> = {};
        res.headers.forEach((value, name) => {
          headers[name] = value;
        });
        return { ok: true as const, status: res.status, headers, body };
      } catch (err) {
        return { ok: false as const, error: `${(err as Error).name}: ${(err as Error).message}` };
      }
    },
    { url, init },
  );
}

/** The few page globals used by code that runs in Chromium (the project's tsconfig has no DOM types). */
interface PageGlobals {
  window: { addEventListener(type: 'message', listener: (e: { data: unknown }) => void, options: { once: boolean }): void };
  document: {
    createElement(tag: 'iframe'): { setAttribute(name: string, value: string): void; srcdoc: string };
    body: { append(node: unknown): void };
  };
}

/**
 * Runs fetch() inside a sandboxed iframe (`sandbox="allow-scripts"`, no
 * allow-same-origin): its origin is opaque, so the browser sends `Origin: null`.
 */
export function fetchFromSandboxedFrame(page: Page, url: string, init: FetchInit = {}): Promise<Verdict> {
  return page.evaluate(
    ({ url, init }) =>
      new Promise<Verdict>((resolve) => {
        const script = `fetch(${JSON.stringify(url)}, ${JSON.stringify(init)})
          .then(async (r) => parent.postMessage({ ok: true, status: r.status, headers: {}, body: await r.text() }, '*'))
          .catch((e) => parent.postMessage({ ok: false, error: e.name + ': ' + e.message }, '*'));`;
        const { window, document } = globalThis as unknown as PageGlobals;
        window.addEventListener('message', (e) => resolve(e.data as Verdict), { once: true });
        const frame = document.createElement('iframe');
        frame.setAttribute('sandbox', 'allow-scripts');
        frame.srcdoc = `<script>${script}</script>`;
        document.body.append(frame);
      }),
    { url, init },
  );
}

/** Fresh browser contexts (empty preflight cache, cookies and HTTP cache), closed together. */
export class Contexts {
  private readonly open: BrowserContext[] = [];

  constructor(private readonly browser: () => Browser) {}

  async context(): Promise<BrowserContext> {
    const ctx = await this.browser().newContext();
    this.open.push(ctx);
    return ctx;
  }

  /** A page showing a document of `origin`, in `ctx` or a new context. */
  async pageAt(origin: string, ctx?: BrowserContext): Promise<Page> {
    const page = await (ctx ?? (await this.context())).newPage();
    page.setDefaultTimeout(BROWSER_WAIT_MS);
    await page.goto(`${origin}/blank`);
    return page;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.open.splice(0).map((c) => c.close().catch(() => undefined)));
  }
}
