// Module resolve hook standing in for the Lambda Node.js runtime, which lets
// ES modules import packages from layers (/opt/nodejs/node_modules) although
// Node's own ESM resolver ignores NODE_PATH. A bare specifier that Node cannot
// find is resolved again from each NODE_PATH directory, exactly as if the
// importing file lived beside that node_modules folder.
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** @type {import('node:module').ResolveHook} */
export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    const bare = !specifier.startsWith('.') && !specifier.startsWith('/') && !specifier.includes(':');
    if (/** @type {NodeJS.ErrnoException} */ (error)?.code !== 'ERR_MODULE_NOT_FOUND' || !bare) throw error;
    for (const dir of (process.env.NODE_PATH ?? '').split(':').filter(Boolean)) {
      try {
        return await nextResolve(specifier, { ...context, parentURL: pathToFileURL(join(dirname(dir), 'layer-parent.mjs')).href });
      } catch {
        // not in this layer directory; try the next one
      }
    }
    throw error;
  }
}
