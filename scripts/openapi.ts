/**
 * Writes openapi.json, the OpenAPI 3.1 document of the HTTP API, from the contract. Run `npm run openapi` after
 * changing a route or a schema in contract/; a test fails while the committed file differs from what this writes.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OPENAPI_FILE, openApiDocument } from '../contract/openapi';

const root = path.join(__dirname, '..');
fs.writeFileSync(path.join(root, OPENAPI_FILE), JSON.stringify(openApiDocument()));
// Formatted by the project's formatter, so that `npm run lint` accepts the file as written.
execFileSync(path.join(root, 'node_modules', '.bin', 'biome'), ['format', '--write', OPENAPI_FILE], {
  cwd: root,
  stdio: 'inherit',
});
console.log(`wrote ${OPENAPI_FILE}`);
