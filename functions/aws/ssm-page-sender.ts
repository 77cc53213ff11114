import { clientTimeouts } from './config';
import type { PageSender } from './parameters-by-path';
import { createLightPageSender, lightClientSettings } from './ssm-light-client';

/** Which client loads the policies: the light signed one, or the full SDK client. */
export type SsmClientKind = 'light' | 'sdk';

/**
 * The full SDK client's module, loaded on first use. In the bundles it is a
 * separate file next to the entry (`ssm-sdk.js`, see scripts/build.mjs), so
 * the common path never loads the SDK.
 */
export function loadSdkModule(): typeof import('./ssm-sdk') {
  return require('./ssm-sdk') as typeof import('./ssm-sdk');
}

/**
 * The store's default sender, with the same timeouts and attempts for both
 * clients: the light client when the environment is the plain Lambda one
 * ({@link lightClientSettings}), else the full SDK client.
 */
export function defaultPageSender(loadBudgetMs: number, env: NodeJS.ProcessEnv = process.env): { kind: SsmClientKind; send: PageSender } {
  const settings = lightClientSettings(env);
  if (settings) return { kind: 'light', send: createLightPageSender(settings, { ...clientTimeouts(loadBudgetMs), maxAttempts: 3 }) };
  const sdk = loadSdkModule();
  return { kind: 'sdk', send: sdk.sdkPageSender(sdk.createSsmClient(loadBudgetMs)) };
}
