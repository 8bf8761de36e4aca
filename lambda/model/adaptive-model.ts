import type { Tensor } from '../protocol/tensor';
import type { LoadedModel } from './model-backend';
import { loadOnnxModel } from './onnx-model';
import { loadOnnxModelInWorker } from './worker-model';

/**
 * A run this short may block the event loop: other requests wait at most this long, while the trip to a worker
 * thread and back costs about 0.05 to 0.1 ms of latency and copies every tensor twice.
 */
export const INLINE_BUDGET_MS = 1;

/** Above this size a second, main-thread session would cost more memory than the trip it saves is worth. */
export const INLINE_MAX_MODEL_BYTES = 16 * 1024 * 1024;

/** Where a model's requests have run so far, for logs, tests and benchmarks. */
export interface PlacementCounts {
  readonly inline: number;
  readonly worker: number;
}

export interface AdaptiveModel extends LoadedModel {
  readonly placements: PlacementCounts;
}

/**
 * Runs a model in its own worker thread, and on the main thread for requests no larger than ones it has already
 * seen finish within INLINE_BUDGET_MS there. Small models at small batches (most requests to a tabular model) then
 * skip the thread hop, while a large batch, or any request to a heavy model, still runs off the event loop. If an
 * inline run ever overshoots the budget, requests of that size and above go back to the worker.
 */
export async function loadAdaptiveModel(
  name: string,
  version: string,
  bytes: Uint8Array,
  loadInWorker: typeof loadOnnxModelInWorker = loadOnnxModelInWorker,
): Promise<AdaptiveModel> {
  const worker = await loadInWorker(name, version, bytes);
  let inline: LoadedModel | undefined;
  let inlineLoad: Promise<void> | undefined;
  // The largest request, in input elements, known to run within the budget; 0 while none is.
  let fastElements = 0;
  const placements = { inline: 0, worker: 0 };

  const startInlineSession = () => {
    if (inlineLoad !== undefined || bytes.byteLength > INLINE_MAX_MODEL_BYTES) return;
    inlineLoad = loadOnnxModel(name, version, bytes).then(
      (model) => {
        inline = model;
      },
      // Without a main-thread session every request keeps going to the worker, which is correct, only slower.
      () => undefined,
    );
  };

  return {
    spec: worker.spec,
    get isAlive() {
      return worker.isAlive;
    },
    get placements() {
      return { ...placements };
    },
    async run(inputs, outputNames) {
      const elements = countElements(inputs);
      if (inline !== undefined && elements <= fastElements) {
        placements.inline += 1;
        const blocked = blockedTime();
        const outputs = await inline.run(inputs, outputNames);
        if (blocked() > INLINE_BUDGET_MS) fastElements = Math.min(fastElements, elements - 1);
        return outputs;
      }
      placements.worker += 1;
      const { outputs, runMs } = await worker.runTimed(inputs, outputNames);
      if (runMs <= INLINE_BUDGET_MS && elements > fastElements) {
        fastElements = elements;
        startInlineSession();
      }
      return outputs;
    },
    async release() {
      await Promise.all([worker.release(), inlineLoad?.then(() => inline?.release())]);
    },
  };
}

/**
 * Times how long the run about to start blocks the event loop, without the wait before it. ONNX Runtime runs a
 * session in a setImmediate callback queued by `session.run`, so a callback queued just before the call runs right
 * before it: timing from there leaves out the other requests' work queued ahead, which under concurrent load took
 * well over the budget and sent every small request to the worker. Without that callback's mark (never expected),
 * the whole wait counts, as before.
 */
function blockedTime(): () => number {
  const called = performance.now();
  let runStarted = called;
  setImmediate(() => {
    runStarted = performance.now();
  });
  return () => performance.now() - runStarted;
}

function countElements(inputs: readonly Tensor[]): number {
  let elements = 0;
  for (const input of inputs) elements += input.data.length;
  return elements;
}
