import { get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveModels } from '../../../lambda/local-server';
import type { ModelRegistry } from '../../../lambda/model/model-registry';
import { modelSourcesFromFolder } from '../../../lambda/model/model-source';
import { DEMO_MODELS } from '../../support/demo-models';

// The local twin passes the request path on as the client sent it, as API Gateway does: dot segments are a model name
// that cannot exist (404), not a way to another route. Sent with node:http, because fetch and curl resolve them
// before sending (curl unless --path-as-is).

let server: Server;
let registry: ModelRegistry;
beforeAll(async () => {
  ({ server, registry } = await serveModels(
    modelSourcesFromFolder(DEMO_MODELS),
    { port: 0, host: '127.0.0.1', logRequests: false },
    () => undefined,
  ));
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await registry.release();
});

/** Sends `GET <target>` exactly as written (node:http does not resolve dot segments) and returns status and JSON. */
function rawGet(target: string): Promise<{ status: number; json: { error?: string } }> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const request = get({ host: '127.0.0.1', port, path: target, timeout: 20_000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        try {
          resolve({ status: response.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        } catch (error) {
          reject(error);
        }
      });
    });
    request.on('timeout', () => request.destroy(new Error(`no answer to GET ${target}`)));
    request.on('error', reject);
  });
}

describe('request paths on the local twin', () => {
  it.each([
    ['/v2/models/..', 'no model named ".."'],
    ['/v2/models/%2e%2e', 'no model named "%2e%2e"'],
    ['/v2/models/%2E%2e/ready', 'no model named "%2E%2e"'],
    ['/v2/models/penguins/versions/..', 'model "penguins" has no version ".."'],
    ['/v2/models/./penguins', 'no such path "/v2/models/./penguins"'],
  ])('returns 404 for GET %s, naming the rule', async (target, message) => {
    const { status, json } = await rawGet(target);
    expect(status).toBe(404);
    expect(json.error).toContain(message);
  });

  it('still serves an ordinary path with a query', async () => {
    expect(await rawGet('/v2/models/penguins?x=1')).toMatchObject({ status: 200 });
  });
});
