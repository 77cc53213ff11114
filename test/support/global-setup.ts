import { startMoto } from '../../scripts/lib/moto';

/**
 * Starts one moto server for the integration project. Each test file uses its
 * own parameter path under it, so files never see each other's policies.
 * Workers inherit MOTO_ENDPOINT from this process's environment.
 */
export default async function globalSetup(): Promise<void> {
  const moto = await startMoto();
  process.env.MOTO_ENDPOINT = moto.endpoint;
  (globalThis as { __moto?: typeof moto }).__moto = moto;
}
