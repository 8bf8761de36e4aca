#!/usr/bin/env node
// `npx model-endpoint`: bundles the command with esbuild on first use, and after a source changes
// (scripts/cached-bundle.js), then runs it on plain Node.js. Each command loads its own dependencies (ONNX Runtime,
// the AWS SDK) only when it runs.
const { cachedBundle } = require('../scripts/cached-bundle');

process.setSourceMapsEnabled(true);
require(cachedBundle('cli', 'cli/main.ts', ['cli', 'client', 'contract', 'lambda', 'lib', 'scripts']))
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
