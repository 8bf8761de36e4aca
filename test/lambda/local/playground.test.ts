import { writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { createApiGatewayHandler } from '../../../lambda/api-gateway-handler';
import { ASSET_TYPES } from '../../../lambda/local/playground/playground-assets';
import { type PlaygroundModel, playgroundModels } from '../../../lambda/local/playground/playground-models';
import { serveModels } from '../../../lambda/local-server';
import { ModelRegistry } from '../../../lambda/model/model-registry';
import { modelSourcesFromFolder } from '../../../lambda/model/model-source';
import { failsAtRuntimeModel, writeRepository } from '../../fixtures/test-models';
import { apiGatewayEvent, lambdaContext } from '../../support/api-gateway-events';
import { DEMO_MODELS } from '../../support/demo-models';
import { onnxBackendsOf } from '../../support/model-backends';

// The playground's routes on the local twin, over real HTTP on a loopback port, with the demo models.

let server: Server;
let registry: ModelRegistry;
let url: string;
beforeAll(async () => {
  ({ server, registry } = await serveModels(
    modelSourcesFromFolder(DEMO_MODELS),
    { port: 0, host: '127.0.0.1', logRequests: false },
    () => undefined,
  ));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await registry.release();
});

async function get(path: string, method = 'GET') {
  const response = await fetch(`${url}${path}`, { method, signal: AbortSignal.timeout(20_000) });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** The only URL the page's code may hold: the SVG namespace, a name that is never fetched. */
const SVG_NAMESPACE = 'http://www.w3.org/2000/svg';

describe('the playground page of the local twin', () => {
  it('serves the page at / as HTML that loads only its own assets', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const references = [...page.text.matchAll(/(?:src|href)="([^"]*)"/g)].map((match) => match[1]);
    expect(references.sort()).toEqual(['/playground/playground.css', '/playground/playground.js', 'data:,']);
  });

  it.each(Object.entries(ASSET_TYPES))(
    'serves %s with its content type, a policy that allows this origin only, and no other URL',
    async (name, type) => {
      const asset = await get(`/playground/${name}`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('content-type')).toBe(type);
      expect(asset.headers.get('content-security-policy')).toMatch(/^default-src 'self';/);
      expect(asset.headers.get('x-content-type-options')).toBe('nosniff');
      const urls = asset.text.match(/[a-z][a-z0-9+.-]*:\/\/[^\s'"`)]*/gi) ?? [];
      expect(urls.filter((found) => found !== SVG_NAMESPACE)).toEqual([]);
      // Module imports stay relative, so they resolve to this server.
      for (const [, specifier] of asset.text.matchAll(/from '([^']*)'/g))
        expect(specifier).toMatch(/^\.\/[a-z-]+\.js$/);
    },
  );

  it('answers HEAD of the page with its headers and no body', async () => {
    const head = await get('/', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(0);
  });

  it('lists the served models with versions, descriptions, labels and the form each gets', async () => {
    const list = JSON.parse((await get('/playground/models.json')).text) as { models: PlaygroundModel[] };
    expect(list.models.map((model) => model.name)).toEqual(['mnist', 'penguins']);
    const [mnist, penguins] = list.models;
    expect(penguins).toMatchObject({
      versions: ['1'],
      description: expect.stringContaining('Palmer penguin'),
      labels: ['Adelie', 'Chinstrap', 'Gentoo'],
      inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 4] }],
      form: {
        kind: 'features',
        input: 'features',
        features: ['bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'body_mass_g'],
      },
    });
    expect(mnist).toMatchObject({ versions: ['1'], form: { kind: 'drawing', input: 'pixels', side: 28 } });
  });

  it.each([
    ['an unknown asset', 'GET', '/playground/secret.js'],
    ['a path that climbs out of the assets', 'GET', '/playground/..%2Fplayground-routes.ts'],
    ['a POST to the page', 'POST', '/'],
  ])('leaves %s to the API, which answers 404', async (_, method, path) => {
    const answer = await get(path, method);
    expect(answer.status).toBe(404);
    expect(answer.headers.get('content-type')).toBe('application/json');
  });
});

describe('the Lambda handler', () => {
  const lambdaRegistry = new ModelRegistry(onnxBackendsOf(DEMO_MODELS));
  afterAll(() => lambdaRegistry.release());

  it.each(['/', '/playground/index.html', '/playground/models.json'])(
    "returns 404 for %s: the page is the twin's alone, never a route of the deployed API",
    async (path) => {
      const handler = createApiGatewayHandler(lambdaRegistry);
      const result = await handler(apiGatewayEvent({ path }), lambdaContext);
      expect(result.statusCode).toBe(404);
    },
  );
});

describe('the model list', () => {
  it("lists a model that cannot be loaded with why it has no form, not the load error's details", async () => {
    const broken = new ModelRegistry([
      {
        name: 'broken',
        version: '3',
        location: '/models/broken/3/model.onnx',
        load: () => Promise.reject(new Error('protobuf parsing failed at /models/broken/3/model.onnx')),
      },
    ]);
    const [model] = await playgroundModels(broken, new Map());
    expect(model).toEqual({
      name: 'broken',
      versions: ['3'],
      inputs: [],
      outputs: [],
      error: 'model broken version 3 cannot be loaded right now; retry in 1 s',
    });
  });

  it('describes each model by its model.json as it was at start, as the model itself serves as loaded at start', async () => {
    const repository = writeRepository({ 'edited/1': failsAtRuntimeModel() });
    const manifestPath = path.join(repository, 'edited', '1', 'model.json');
    writeFileSync(manifestPath, JSON.stringify({ description: 'as loaded' }));
    const twin = await serveModels(
      modelSourcesFromFolder(repository),
      { port: 0, host: '127.0.0.1', logRequests: false },
      () => undefined,
      () => undefined,
    );
    try {
      writeFileSync(manifestPath, JSON.stringify({ description: 'edited since' }));
      const port = (twin.server.address() as AddressInfo).port;
      const list = (await (await fetch(`http://127.0.0.1:${port}/playground/models.json`)).json()) as {
        models: PlaygroundModel[];
      };
      expect(list.models[0].description).toBe('as loaded');
    } finally {
      twin.server.closeAllConnections();
      await new Promise((resolve) => twin.server.close(resolve));
      await twin.registry.release();
    }
  });
});
