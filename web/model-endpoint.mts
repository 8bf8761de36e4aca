// The module an exported bundle ships (`npm run export:web`). An ES module (.mts) for one reason: import.meta.url,
// which finds the model, its descriptor and ONNX Runtime's WebAssembly beside the module wherever the folder is hosted.
import type { ModelDescriptor } from '../contract/model-descriptor.js';
import type { InferResponse } from '../lambda/protocol/infer-response.js';
import type { ModelMetadata } from '../lambda/protocol/metadata.js';
import { loadBytes } from './asset-bytes.js';
import { BUNDLE_FILES } from './bundle-files.js';
import { type EdgeModel, openEdgeModel, type Placement } from './edge-model.js';
import type { EndpointOptions } from './endpoint.js';

export { EdgeInferenceError } from './edge-error.js';
export type { InferResponse, ModelMetadata, Placement };

/** The endpoint given to `npm run export:web --fallback-url`, or '' (set by the export's bundler). */
declare const EXPORTED_FALLBACK_URL: string;

/** An Open Inference Protocol inference request, as the API takes it with JSON tensor data. */
export interface InferRequest {
  readonly id?: string;
  readonly inputs: readonly {
    readonly name: string;
    readonly datatype: string;
    readonly shape: readonly number[];
    readonly data: readonly (number | string | boolean)[];
  }[];
  /** The outputs to return; all of them when absent. */
  readonly outputs?: readonly { readonly name: string }[];
}

export interface EdgeOptions {
  /** The API to answer from when the model cannot run here; overrides the one given at export. */
  readonly fallbackUrl?: string;
  /** Headers for the endpoint: `{'x-api-key': key}` or `{authorization: token}`. */
  readonly headers?: Readonly<Record<string, string>>;
}

let options: EdgeOptions = EXPORTED_FALLBACK_URL === '' ? {} : { fallbackUrl: EXPORTED_FALLBACK_URL };
let opened: Promise<EdgeModel> | undefined;

/** Sets the fallback endpoint and its headers; call it before the first `infer`, `metadata` or `placement`. */
export function configure(next: EdgeOptions): void {
  if (opened !== undefined) {
    throw new Error('configure() must be called before the first infer(), metadata() or placement()');
  }
  options = { ...options, ...next };
}

/** The model's metadata, as `GET /v2/models/<name>` answers it. */
export async function metadata(): Promise<ModelMetadata> {
  return (await model()).metadata;
}

/** Where answers come from: `device` (onnxruntime-web here) or `endpoint`, with the reason the device could not. */
export async function placement(): Promise<{ readonly placement: Placement; readonly reason?: string }> {
  const { placement, fallbackReason } = await model();
  return fallbackReason === undefined ? { placement } : { placement, reason: fallbackReason };
}

/** Runs the model: the API's request body in, its response body out. Throws EdgeInferenceError as the API refuses. */
export async function infer(request: InferRequest): Promise<InferResponse> {
  return (await model()).infer(request);
}

function model(): Promise<EdgeModel> {
  if (opened === undefined) {
    opened = open();
    // A failed open (the endpoint unset, a file not served yet) is tried again on the next call, not cached.
    opened.catch(() => {
      opened = undefined;
    });
  }
  return opened;
}

async function open(): Promise<EdgeModel> {
  const here = (file: string) => new URL(file, import.meta.url);
  const descriptor = JSON.parse(
    new TextDecoder().decode(await loadBytes(here(BUNDLE_FILES.descriptor))),
  ) as ModelDescriptor;
  const endpoint: EndpointOptions | undefined =
    options.fallbackUrl === undefined ? undefined : { fallbackUrl: options.fallbackUrl, headers: options.headers };
  return openEdgeModel(
    {
      descriptor,
      modelBytes: () => loadBytes(here(BUNDLE_FILES.model)),
      wasmBinary: async () => (await loadBytes(here(BUNDLE_FILES.wasm))).slice().buffer,
    },
    endpoint,
  );
}
