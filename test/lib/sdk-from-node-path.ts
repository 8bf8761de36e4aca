/**
 * A Node.js module resolve hook (source text, for `module.register` in a child process) that resolves `@aws-sdk/*`
 * from the folders in NODE_PATH when nothing else does. Lambda's Node.js runtime searches NODE_PATH for ES module
 * imports too, which is how a bundle's `import ... from '@aws-sdk/client-s3'` finds the SDK the runtime ships; plain
 * Node does not, so this hook does that for the SDK alone. Anything else a bundle imports must be inside it, or be
 * found with `require` as from a layer.
 */
export const SDK_FROM_NODE_PATH_HOOK = `
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    if (!specifier.startsWith('@aws-sdk/')) throw error;
    for (const dir of (process.env.NODE_PATH ?? '').split(path.delimiter).filter(Boolean)) {
      try {
        return await nextResolve(specifier, { ...context, parentURL: pathToFileURL(path.join(dir, 'index.js')).href });
      } catch {}
    }
    throw error;
  }
}
`;
