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

/**
 * Builds the SageMaker container entry point as the image runs it: one ES module file, `sagemaker-server.mjs` in
 * `outDir` (run as `node sagemaker-server.mjs serve`), with everything bundled except onnxruntime-node (native
 * binaries, in the image's node_modules). The model's worker thread runs the same file, so there is no second one.
 */
function bundleSageMakerContainer(outDir) {
  const outfile = path.join(outDir, 'sagemaker-server.mjs');
  require('esbuild').buildSync({
    entryPoints: [path.join(ROOT, 'lambda', 'sagemaker-server.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    // Bundled CommonJS code requires Node built-ins, and the runtime requires onnxruntime-node.
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    external: ['onnxruntime-node'],
    sourcemap: true,
    logLevel: 'warning',
  });
  return outfile;
}

module.exports = { buildLocalServer, bundleSageMakerContainer };

if (require.main === module) {
  process.setSourceMapsEnabled(true);
  require(buildLocalServer()).main();
}
