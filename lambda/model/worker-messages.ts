import type { ModelSpec, Tensor } from '../protocol/tensor';

/** What the main thread hands a model worker when it starts it. */
export interface WorkerStart {
  readonly name: string;
  readonly version: string;
  readonly bytes: Uint8Array;
}

export interface WorkerRequest {
  readonly id: number;
  readonly inputs: readonly Tensor[];
  readonly outputNames: readonly string[];
}

export type WorkerReply =
  | { readonly kind: 'ready'; readonly spec: ModelSpec }
  | { readonly kind: 'failed'; readonly message: string }
  /** `runMs`: the model's own run time inside the worker, without the trip between threads. */
  | { readonly kind: 'result'; readonly id: number; readonly outputs: Tensor[]; readonly runMs: number }
  | { readonly kind: 'error'; readonly id: number; readonly message: string };
