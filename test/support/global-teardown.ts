import type { MotoServer } from '../../scripts/lib/moto';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __moto?: MotoServer }).__moto?.stop();
}
