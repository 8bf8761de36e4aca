import type { GoldenCase, GoldenRequest, WireTensor } from '../../contract/golden-set';
import { createApiGatewayHandler } from '../../lambda/api-gateway-handler';
import { localLambdaContext } from '../../lambda/local/api-gateway-event';
import { ModelRegistry } from '../../lambda/model/model-registry';
import { FileModelSource } from '../../lambda/model/model-source';
import { onnxBackends } from '../../lambda/model/onnx-backend';
import { loadOnnxModel } from '../../lambda/model/onnx-model';
import type { ModelSpec } from '../../lambda/protocol/tensor';
import { goldenRequestBody, goldenRequestEvent, inferPath } from '../../lambda/rollout/golden-request';

/** A request to record, with the name its case will carry. */
export interface NamedRequest {
  readonly name: string;
  readonly request: GoldenRequest;
}

export interface GoldenRecorder {
  /** The model's inputs and outputs as the runtime sees them (dynamic dimensions are -1). */
  readonly spec: ModelSpec;
  /** Answers each request and keeps the answer as the case's expected outputs; throws on any answer but 200. */
  record(requests: readonly NamedRequest[]): Promise<GoldenCase[]>;
  release(): Promise<void>;
}

/**
 * Records golden answers with the runtime's own code: the model function's handler, in-process, on the main thread
 * as in Lambda, fed the API Gateway event the pre-traffic hook sends. A golden set is then what the deployed
 * function answers, by construction, and never the output of a second implementation.
 */
export async function openGoldenRecorder(name: string, version: string, modelPath: string): Promise<GoldenRecorder> {
  const registry = new ModelRegistry(onnxBackends([new FileModelSource(name, version, modelPath)], loadOnnxModel));
  let spec: ModelSpec;
  try {
    spec = (await registry.get(name, version)).spec;
  } catch (error) {
    await registry.release();
    throw new Error(`cannot load ${modelPath}: ${(error as Error).message}`);
  }
  const handler = createApiGatewayHandler(registry);
  const path = inferPath({ model: name, version });
  return {
    spec,
    async record(requests) {
      const cases: GoldenCase[] = [];
      for (const { name: caseName, request } of requests) {
        const result = await handler(goldenRequestEvent(path, goldenRequestBody(request)), localLambdaContext());
        const body = JSON.parse(result.body) as { outputs?: WireTensor[]; error?: string };
        if (result.statusCode !== 200 || body.outputs === undefined) {
          throw new Error(
            `${caseName}: the model answered ${result.statusCode} (${body.error ?? result.body}); fix this input`,
          );
        }
        cases.push({ name: caseName, request, expected: body.outputs.map(wireTensor) });
      }
      return cases;
    },
    release: () => registry.release(),
  };
}

/** Only the fields a golden set keeps, whatever else an answer's output carries (parameters, for one). */
function wireTensor(output: WireTensor): WireTensor {
  return { name: output.name, datatype: output.datatype, shape: output.shape, data: output.data };
}
