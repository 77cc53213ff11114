// `node --import ./lambda-esm-layer-register.mjs app.mjs` resolves layer packages like Lambda.
import { register } from 'node:module';

register('./lambda-esm-layer-hooks.mjs', import.meta.url);
