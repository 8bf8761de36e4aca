// `npm start`: bundles the local server with esbuild (a few tens of milliseconds) and runs it on plain Node.js.
// Plain JavaScript on purpose: a TypeScript loader (tsx) would add about 200 ms to every start and again to every
// model's worker thread, and this file is what runs before any TypeScript can.
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const OUT_DIR = path.join(ROOT, 'node_modules', '.cache', 'model-endpoint');

const SOURCE_DIRS = ['lambda', 'contract'].map((dir) => path.join(ROOT, dir));
const BUNDLE = path.join(OUT_DIR, 'local-server.js');

function newestSourceMs(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSourceMs(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

function bundleIsFresh() {
  try {
    const built = fs.statSync(BUNDLE).mtimeMs;
    return SOURCE_DIRS.every((dir) => newestSourceMs(dir) < built);
  } catch {
    return false;
  }
}

/**
 * Builds the local server and its model worker side by side (the worker is found next to the server's bundle).
 * Skipped while no source is newer than the bundle: esbuild starts a helper process, which costs more than the build.
 */
function buildLocalServer() {
  if (bundleIsFresh()) return BUNDLE;
  require('esbuild').buildSync({
    entryPoints: {
      'local-server': path.join(ROOT, 'lambda', 'local-server.ts'),
      'onnx-worker': path.join(ROOT, 'lambda', 'model', 'onnx-worker.ts'),
    },
    outdir: OUT_DIR,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // Dependencies load from node_modules as they are; only the project's own TypeScript is bundled.
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
  });
  return BUNDLE;
}

module.exports = { buildLocalServer };

if (require.main === module) {
  process.setSourceMapsEnabled(true);
  require(buildLocalServer()).main();
}
