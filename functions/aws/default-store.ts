import { readStoreConfig } from './config';
import { createLogger, type Logger } from './logger';
import type { PolicyStore } from './policy-store';
import { SnapshotPolicyStore } from './snapshot-policy-store';
import { SsmPolicyStore } from './ssm-policy-store';

/**
 * The one policy store of a container, shared by the preflight handler and the
 * layer. Created on first use from the environment: with `CORS_SNAPSHOT_BUCKET`
 * set (snapshot mode) it reads the fleet's snapshot from S3, else it lists the
 * policy path in Parameter Store (direct mode). A configuration error is
 * kept and reported on each use instead of crashing the init phase, so every
 * request is answered (and denied) rather than failing with a 502.
 */
export type DefaultStore = { ok: true; store: PolicyStore; logger: Logger } | { ok: false; error: Error; logger: Logger };

let instance: DefaultStore | undefined;

export function defaultStore(service: string): DefaultStore {
  if (instance) return instance;
  const logger = createLogger({ service });
  try {
    const config = readStoreConfig(process.env);
    const { snapshot } = config;
    const store: PolicyStore = snapshot ? new SnapshotPolicyStore({ config: { ...config, snapshot }, logger }) : new SsmPolicyStore({ config, logger });
    instance = { ok: true, store, logger };
  } catch (error) {
    instance = { ok: false, error: error as Error, logger };
  }
  return instance;
}

/** Forgets the store so the next call reads the environment again (tests). */
export function resetDefaultStore(): void {
  instance = undefined;
}
