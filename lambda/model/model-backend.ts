import type { ModelSpec, Tensor } from '../protocol/tensor';
import type { ApiRequest, ApiResponse } from '../serve-request';
import type { DescriptorSource } from './descriptor-source';

/** A model ready to serve: what it is (its spec) and a way to infer. */
export interface LoadedModel {
  readonly spec: ModelSpec;
  /** Runs the model; `inputs` must already match `spec` (the protocol layer checks that). */
  run(inputs: readonly Tensor[], outputNames: readonly string[]): Promise<Tensor[]>;
  /**
   * Set by a model that answers whole requests elsewhere (a SageMaker endpoint): an infer request, once checked
   * against `spec`, is handed over as it came instead of being decoded into tensors and encoded again.
   */
  forward?(request: ApiRequest): Promise<ApiResponse>;
  /** False once the model can no longer run (its worker thread died); the registry then loads it again. */
  readonly isAlive: boolean;
  release(): Promise<void>;
}

/**
 * One served model version, wherever it runs: an ONNX Runtime session (bytes from a folder, S3 or an image) or a
 * SageMaker endpoint. The registry holds backends and loads each one once, retrying failures with a backoff.
 */
export interface ModelBackend {
  readonly name: string;
  readonly version: string;
  /** Human-readable location for logs and errors, e.g. `s3://bucket/key`, a file path or an endpoint name. */
  readonly location: string;
  /** The pinned descriptor the model is checked against, where the deployment gives one. */
  readonly descriptor?: DescriptorSource;
  /** Loads the model; throws an Error saying what was wrong when it cannot serve. */
  load(): Promise<LoadedModel>;
}

/**
 * Where an ONNX Runtime session runs (main thread or the worker pool): chosen by the entry point, so that the
 * Lambda bundle, which runs on the main thread, never carries the worker code.
 */
export type PlaceModel = (name: string, version: string, bytes: Uint8Array) => Promise<LoadedModel>;
