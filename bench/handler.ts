import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { createApiGatewayHandler } from '../lambda/api-gateway-handler';
import { ModelRegistry } from '../lambda/model/model-registry';
import { modelSourcesFromFolder } from '../lambda/model/model-source';
import { onnxBackends } from '../lambda/model/onnx-backend';
import { type ModelExecution, PLACEMENTS } from '../lambda/model/placements';
import { apiGatewayEvent, lambdaContext } from '../test/support/api-gateway-events';
import { BENCH_MODELS, type BenchCase } from './cases';

export interface HandlerBench {
  /** One call with the JSON request of a case; rejects unless the answer is a 200. */
  json(benchCase: BenchCase): () => Promise<APIGatewayProxyResult>;
  /** The same request with the binary tensor data extension: raw FP32 bytes in, every output as raw bytes out. */
  binary(benchCase: BenchCase): () => Promise<APIGatewayProxyResult>;
  release(): Promise<void>;
}

/**
 * The request of a case in the binary tensor data layout (JSON header, then the input's little-endian bytes), as
 * API Gateway hands a binary media type to the function: base64 with isBase64Encoded.
 */
function binaryEvent(benchCase: BenchCase): APIGatewayProxyEvent {
  const header = Buffer.from(
    JSON.stringify({
      id: `bench-${benchCase.label}`,
      parameters: { binary_data_output: true },
      inputs: [
        {
          name: benchCase.input,
          shape: [benchCase.batch, benchCase.features],
          datatype: 'FP32',
          parameters: { binary_data_size: benchCase.values.byteLength },
        },
      ],
    }),
  );
  const values = Buffer.from(benchCase.values.buffer, benchCase.values.byteOffset, benchCase.values.byteLength);
  const event = apiGatewayEvent({
    method: 'POST',
    path: benchCase.path,
    body: Buffer.concat([header, values]),
    base64: true,
  });
  return {
    ...event,
    headers: {
      ...event.headers,
      // API Gateway returns binary outputs as bytes only to a client that asks for them first.
      Accept: 'application/octet-stream',
      'Content-Type': 'application/octet-stream',
      'Inference-Header-Content-Length': String(header.byteLength),
    },
  };
}

/**
 * The handler path as Lambda runs it: a registry like lambda/handler.ts builds (sessions on the calling thread, or
 * in worker threads as the local twin runs them), realistic REST proxy events built in advance, every answer checked.
 */
export async function createHandlerBench(execution: ModelExecution): Promise<HandlerBench> {
  const registry = new ModelRegistry(onnxBackends(modelSourcesFromFolder(BENCH_MODELS), PLACEMENTS[execution]));
  const failures = await registry.loadAll();
  if (failures.length > 0) throw new Error(`handler bench cannot load models: ${failures[0].error.message}`);
  const handler = createApiGatewayHandler(registry);
  const caller = (benchCase: BenchCase, event: APIGatewayProxyEvent) => async () => {
    const result = await handler(event, lambdaContext);
    if (result.statusCode !== 200) {
      throw new Error(`handler answered ${result.statusCode} for ${benchCase.label}: ${result.body.slice(0, 300)}`);
    }
    return result;
  };
  return {
    json: (benchCase) =>
      caller(benchCase, apiGatewayEvent({ method: 'POST', path: benchCase.path, body: benchCase.body })),
    binary: (benchCase) => caller(benchCase, binaryEvent(benchCase)),
    release: () => registry.release(),
  };
}

/**
 * The floor of the JSON path: what any server that speaks JSON pays for this request, JSON.parse of the body and
 * JSON.stringify of the answer (the handler's own), and nothing else. The handler's time above session.run, over
 * this, is what its validation, tensor conversion and protocol cost on top of JSON itself.
 */
export function jsonAlone(body: string, answered: APIGatewayProxyResult): () => Promise<unknown> {
  const answer: unknown = JSON.parse(answered.body);
  return async () => [JSON.parse(body), JSON.stringify(answer)];
}
