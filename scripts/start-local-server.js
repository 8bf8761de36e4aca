// `npm start`: bundles the local server with esbuild (scripts/cached-bundle.js) and runs it on plain Node.js.
const { cachedBundle } = require('./cached-bundle');

/** Builds the local server and its model worker side by side; returns the server bundle's path. */
function buildLocalServer() {
  return cachedBundle('local-server', 'lambda/local-server.ts', ['lambda', 'contract']);
}

module.exports = { buildLocalServer };

if (require.main === module) {
  process.setSourceMapsEnabled(true);
  require(buildLocalServer()).main();
}
