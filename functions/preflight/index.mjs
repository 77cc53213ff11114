import { createRequire } from 'node:module';

const preflight = createRequire(import.meta.url)('./preflight.cjs');
await preflight.init();

export const handler = preflight.handler;
