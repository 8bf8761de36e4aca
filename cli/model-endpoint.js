#!/usr/bin/env node
// `npx model-endpoint`: bundles the command's TypeScript with esbuild on first use (and after a source changes) and
// runs it on plain Node.js. Plain JavaScript on purpose: Node.js 20 cannot run TypeScript, and a TypeScript loader
// (tsx) would add about 200 ms to every run.
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const BUNDLE = path.join(ROOT, 'node_modules', '.cache', 'model-endpoint', 'cli.js');
const SOURCE_DIRS = ['cli', 'client', 'contract', 'lambda', 'lib', 'scripts'].map((dir) => path.join(ROOT, dir));

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

function buildCli() {
  if (bundleIsFresh()) return BUNDLE;
  let esbuild;
  try {
    esbuild = require('esbuild');
  } catch {
    console.error('model-endpoint: esbuild is missing; run `npm ci` in the repository first');
    process.exit(1);
  }
  esbuild.buildSync({
    entryPoints: [path.join(ROOT, 'cli', 'main.ts')],
    outfile: BUNDLE,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // Dependencies load from node_modules as they are, and each command loads its own (ONNX Runtime, the AWS SDK)
    // only when it runs.
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
  });
  return BUNDLE;
}

process.setSourceMapsEnabled(true);
require(buildCli())
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
