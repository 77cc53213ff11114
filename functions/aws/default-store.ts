import { readStoreConfig } from './config';
import { createLogger, type Logger } from './logger';
import { SsmPolicyStore } from './ssm-policy-store';

/**
 * The one policy store of a container, shared by the preflight handler and the
 * layer. Created on first use from the environment. A configuration error is
 * kept and reported on each use instead of crashing the init phase, so every
 * request is answered (and denied) rather than failing with a 502.
 */
export type DefaultStore = { ok: true; store: SsmPolicyStore; logger: Logger } | { ok: false; error: Error; logger: Logger };

let instance: DefaultStore | undefined;

export function defaultStore(service: string): DefaultStore {
  if (instance) return instance;
  const logger = createLogger({ service });
  try {
    instance = { ok: true, store: new SsmPolicyStore({ config: readStoreConfig(process.env), logger }), logger };
  } catch (error) {
    instance = { ok: false, error: error as Error, logger };
  }
  return instance;
}

/** Forgets the store so the next call reads the environment again (tests). */
export function resetDefaultStore(): void {
  instance = undefined;
}
