// How the plain-JavaScript launchers (`npm start`, `npx model-endpoint`) run the project's TypeScript: bundled with
// esbuild into node_modules/.cache (a few tens of milliseconds), rebuilt only when a source is newer than the bundle.
// Plain JavaScript on purpose: Node.js 20 cannot run TypeScript, and a TypeScript loader (tsx) would add about
// 200 ms to every run and again to every model's worker thread.
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const OUT_DIR = path.join(ROOT, 'node_modules', '.cache', 'model-endpoint');

/** The model worker, bundled beside every entry that loads models: the runtime finds it next to its own bundle. */
const ONNX_WORKER_ENTRY = { 'onnx-worker': path.join(ROOT, 'lambda', 'model', 'onnx-worker.ts') };

function newestSourceMs(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSourceMs(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

function isFresh(bundle, sourceDirs) {
  try {
    const built = fs.statSync(bundle).mtimeMs;
    return sourceDirs.every((dir) => newestSourceMs(path.join(ROOT, dir)) < built);
  } catch {
    return false;
  }
}

/**
 * Bundles `entry` (a path from the repository root) as `<name>.js`, with the model worker beside it, unless the
 * bundle is newer than every file of `sourceDirs`; returns the bundle's path. Each file is written to a temporary
 * name and renamed into place, so that a launcher starting while another builds never loads a half-written file.
 * Skipped while fresh: esbuild starts a helper process, which costs more than the build.
 */
function cachedBundle(name, entry, sourceDirs) {
  const bundle = path.join(OUT_DIR, `${name}.js`);
  if (isFresh(bundle, sourceDirs)) return bundle;
  let esbuild;
  try {
    esbuild = require('esbuild');
  } catch {
    console.error(`${name}: esbuild is missing; run \`npm ci\` in the repository first`);
    process.exit(1);
  }
  const result = esbuild.buildSync({
    entryPoints: { [name]: path.join(ROOT, entry), ...ONNX_WORKER_ENTRY },
    outdir: OUT_DIR,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // Dependencies load from node_modules as they are; only the project's own TypeScript is bundled.
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
    write: false,
  });
  fs.mkdirSync(OUT_DIR, { recursive: true });
  // The bundle itself last: its time stamp is what says the whole build is fresh.
  const files = result.outputFiles.sort((a, b) => (a.path === bundle) - (b.path === bundle));
  for (const file of files) {
    const temporary = `${file.path}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, file.contents);
    fs.renameSync(temporary, file.path);
  }
  return bundle;
}

module.exports = { cachedBundle };
