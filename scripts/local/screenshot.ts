// Takes docs/demo-page.png: starts the local stack with the demo policies,
// makes a few requests from the demo page in headless Chromium, and saves a
// full-page screenshot. Run after `npm run build`:
//
//   npx tsx scripts/local/screenshot.ts [output.png]
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { REPO_ROOT } from './policies';
import { startLocalStack } from './stack';

async function main(): Promise<void> {
  const out = process.argv[2] ?? join(REPO_ROOT, 'docs', 'demo-page.png');
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // The ports npm start prefers, so the picture matches what a newcomer sees; free ones if taken.
  const stack = await startLocalStack({ logLevel: 'ERROR', apiPort: 3000, pagePort: 3001 }).catch(() => startLocalStack({ logLevel: 'ERROR' }));
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${stack.urls.page}/`);
    await page.waitForFunction("document.getElementById('api-url').textContent.startsWith('http')");
    await page.click('#set-cookie');
    for (const preset of ['Simple GET', 'JSON PUT with cookies', 'Public data, any origin', 'patch in lower case', 'Header not allowed']) {
      await page.click(`button.preset:text-is("${preset}")`);
      await page.click('#send');
      await page.waitForFunction("!document.getElementById('send').disabled && document.getElementById('verdict').textContent !== 'Sending…'");
    }
    await page.waitForFunction("document.getElementById('explain-box').hidden || /Verdict:/.test(document.getElementById('explain').textContent)");
    await page.screenshot({ path: out, fullPage: true });
    process.stdout.write(`saved ${out}\n`);
  } finally {
    await browser.close();
    await stack.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`screenshot failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
