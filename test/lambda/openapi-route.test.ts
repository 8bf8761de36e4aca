import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { openApiDocument } from '../../contract/openapi';
import { createApiGatewayHandler } from '../../lambda/api-gateway-handler';
import { serveModels } from '../../lambda/local-server';
import { ModelRegistry } from '../../lambda/model/model-registry';
import { modelSourcesFromFolder } from '../../lambda/model/model-source';
import { apiGatewayEvent, lambdaContext } from '../support/api-gateway-events';
import { DEMO_MODELS } from '../support/demo-models';
import { onnxBackendsOf } from '../support/model-backends';

// The runtime serves the contract's OpenAPI document itself, on Lambda and locally, so it describes what it runs.

describe('GET /v2/openapi.json', () => {
  it('answers the OpenAPI document from the Lambda handler', async () => {
    const registry = new ModelRegistry(onnxBackendsOf(DEMO_MODELS));
    try {
      const handler = createApiGatewayHandler(registry);
      const result: APIGatewayProxyResult = await handler(
        apiGatewayEvent({ method: 'GET', path: '/v2/openapi.json' }),
        lambdaContext,
      );
      expect(result.statusCode).toBe(200);
      expect(result.headers?.['Content-Type'] ?? result.headers?.['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(result.body)).toEqual(openApiDocument());
    } finally {
      await registry.release();
    }
  });

  it('answers the same document and refuses other verbs on the local server', async () => {
    const { server, registry } = await serveModels(
      modelSourcesFromFolder(DEMO_MODELS),
      { port: 0, host: '127.0.0.1', logRequests: false },
      () => undefined,
    );
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v2/openapi.json`;
      const answer = await fetch(url);
      expect(answer.status).toBe(200);
      expect(await answer.json()).toEqual(openApiDocument());
      const post = await fetch(url, { method: 'POST', body: '{}' });
      expect(post.status).toBe(405);
      expect(post.headers.get('allow')).toBe('GET, HEAD');
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await registry.release();
    }
  });
});
