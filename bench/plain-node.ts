import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { BUILD_DIR } from './cases';

/**
 * A bench script as plain JavaScript, bundled with esbuild into the build folder (dependencies stay external), so the
 * servers under load run on plain node as `npm start` does. A TypeScript loader (tsx) in the process costs every
 * request something: its module hooks and source-map lookups showed up in the servers' CPU profiles, in both the
 * twin and the naive server. Plain JavaScript is returned as it is.
 */
export function plainNodeScript(script: string): string {
  if (!script.endsWith('.ts')) return script;
  const outfile = path.join(BUILD_DIR, 'plain-node', `${path.basename(script, '.ts')}.js`);
  buildSync({
    entryPoints: [script],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    logLevel: 'warning',
  });
  return outfile;
}
