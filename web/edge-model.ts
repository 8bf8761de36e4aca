import * as ort from 'onnxruntime-web/wasm';
import type { ModelDescriptor } from '../contract/model-descriptor';
import { onnxTypeOfDatatype } from '../contract/onnx-model-spec';
import { InferenceError } from '../lambda/protocol/errors';
import { decodeInferRequest } from '../lambda/protocol/infer-request';
import { encodeInferResponse, type InferResponse } from '../lambda/protocol/infer-response';
import { type ModelMetadata, modelMetadata } from '../lambda/protocol/metadata';
import type { ModelSpec, Tensor, TensorData } from '../lambda/protocol/tensor';
import { EdgeInferenceError } from './edge-error';
import { type EndpointOptions, inferOnEndpoint } from './endpoint';

/** Where an exported model answers: in this runtime (onnxruntime-web's WebAssembly build) or on the HTTPS API. */
export type Placement = 'device' | 'endpoint';

/** What the exported bundle ships beside its module, each loaded only when needed. */
export interface EdgeAssets {
  readonly descriptor: ModelDescriptor;
  readonly modelBytes: () => Promise<Uint8Array>;
  readonly wasmBinary: () => Promise<ArrayBuffer>;
}

export interface EdgeModel {
  /** The API's model metadata answer (`GET /v2/models/<name>`), from the descriptor the bundle ships. */
  readonly metadata: ModelMetadata;
  readonly placement: Placement;
  /** Why the model does not run on the device, when it answers from the endpoint. */
  readonly fallbackReason?: string;
  /** An Open Inference Protocol request body in, the API's response body out (JSON tensor data only). */
  infer(request: unknown): Promise<InferResponse>;
}

/**
 * Opens the model on the device; when that fails (no WebAssembly, an operator the WebAssembly build lacks, not
 * enough memory) and an endpoint is configured, answers from the endpoint instead with the same request and response
 * JSON. Without an endpoint the failure is thrown, saying what to configure.
 */
export async function openEdgeModel(assets: EdgeAssets, endpoint?: EndpointOptions): Promise<EdgeModel> {
  const { descriptor } = assets;
  const spec: ModelSpec = descriptor;
  const metadata = modelMetadata(spec, [descriptor.version]);
  let session: ort.InferenceSession;
  try {
    session = await openSession(assets);
  } catch (error) {
    const reason = (error as Error).message;
    if (endpoint === undefined) {
      throw new Error(
        `model "${descriptor.name}" cannot run on this device (${reason}); export it with --fallback-url or call ` +
          'configure({fallbackUrl}) to answer from the HTTPS endpoint instead',
      );
    }
    return {
      metadata,
      placement: 'endpoint',
      fallbackReason: reason,
      infer: (request) => inferOnEndpoint(endpoint, descriptor, request),
    };
  }
  return { metadata, placement: 'device', infer: (request) => inferOnDevice(session, spec, request) };
}

async function openSession(assets: EdgeAssets): Promise<ort.InferenceSession> {
  // Through globalThis: a runtime without WebAssembly has no such global at all, which the types cannot say.
  if (typeof (globalThis as { WebAssembly?: unknown }).WebAssembly !== 'object') {
    throw new Error('this runtime has no WebAssembly');
  }
  // One thread: threads need SharedArrayBuffer (a cross-origin isolated page), and the bundle spawns no workers of
  // its own, so it runs on any static host. The binary is handed over rather than fetched by ONNX Runtime, so the
  // same code loads it from a file under Node and from the bundle's folder in a browser, never from a CDN.
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmBinary ??= await assets.wasmBinary();
  ort.env.logLevel = 'error';
  return ort.InferenceSession.create(await assets.modelBytes(), {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
  });
}

/**
 * The handler's own request decoding and response encoding around onnxruntime-web's session, so that a request the
 * API would refuse is refused here with the same message, and an answer has the same shape.
 */
async function inferOnDevice(session: ort.InferenceSession, spec: ModelSpec, body: unknown): Promise<InferResponse> {
  let request: ReturnType<typeof decodeInferRequest>;
  try {
    request = decodeInferRequest(body, spec);
  } catch (error) {
    if (error instanceof InferenceError) throw new EdgeInferenceError(error.message, error.statusCode);
    throw error;
  }
  // Without a prototype, as on the server: an input named "__proto__" must be a key, not the object's prototype.
  const feeds: Record<string, ort.Tensor> = Object.create(null);
  for (const input of request.inputs) {
    feeds[input.name] = new ort.Tensor(onnxTypeOfDatatype(input.datatype), input.data as never, input.shape);
  }
  const results = await session.run(feeds, request.outputs);
  const outputs: Tensor[] = request.outputs.map((name) => {
    const value = Object.hasOwn(results, name) ? results[name] : undefined;
    const outputSpec = spec.outputs.find((output) => output.name === name);
    if (value === undefined || outputSpec === undefined) {
      throw new Error(`onnxruntime-web returned no value for output "${name}" of model ${spec.name}`);
    }
    return { name, datatype: outputSpec.datatype, shape: value.dims, data: value.data as TensorData };
  });
  return encodeInferResponse(spec, request, outputs);
}
