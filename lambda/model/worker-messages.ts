import type { ModelSpec, Tensor } from '../protocol/tensor';

/**
 * What the main thread asks of a pool worker. `model` numbers a model version within the pool; a worker serves many.
 * `bytes` is the model file, transferred to the worker, not copied.
 */
export type WorkerRequest =
  | {
      readonly kind: 'load';
      readonly model: number;
      readonly name: string;
      readonly version: string;
      readonly bytes: Uint8Array;
      /** Above 1: also a session on this many threads, for runs alone in the server (parallelSessionOptions). */
      readonly parallelThreads: number;
    }
  | {
      readonly kind: 'run';
      readonly id: number;
      readonly model: number;
      readonly inputs: readonly Tensor[];
      readonly outputNames: readonly string[];
      /** No other run in flight in the server: the model's parallel session, if it has one, runs it. */
      readonly alone: boolean;
    }
  /** Releases the session once the runs already asked of it are done. */
  | { readonly kind: 'unload'; readonly model: number };

export type WorkerReply =
  | { readonly kind: 'loaded'; readonly model: number; readonly spec: ModelSpec }
  | { readonly kind: 'failed'; readonly model: number; readonly message: string }
  | { readonly kind: 'unloaded'; readonly model: number }
  /** `runMs`: the model's own run time inside the worker, without the trip between threads. */
  | { readonly kind: 'result'; readonly id: number; readonly outputs: Tensor[]; readonly runMs: number }
  | { readonly kind: 'error'; readonly id: number; readonly message: string };
