import * as path from 'node:path';

const { cachedBundle } = require('../scripts/cached-bundle') as {
  cachedBundle(name: string, entry: string, sourceDirs: readonly string[]): string;
};

/**
 * A bench script as plain JavaScript, bundled by the same on-demand bundler as `npm start` (scripts/cached-bundle.js),
 * so the servers under load run on plain node as `npm start` does. A TypeScript loader (tsx) in the process costs
 * every request something: its module hooks and source-map lookups showed up in the servers' CPU profiles, in both
 * the twin and the naive server. Plain JavaScript is returned as it is.
 */
export function plainNodeScript(script: string): string {
  if (!script.endsWith('.ts')) return script;
  return cachedBundle(`bench-${path.basename(script, '.ts')}`, path.relative(path.join(__dirname, '..'), script), [
    'bench',
    'lambda',
    'contract',
  ]);
}
