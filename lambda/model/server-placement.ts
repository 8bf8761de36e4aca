import { withInlineRuns } from './inline-runs';
import type { PlaceModel } from './model-backend';
import { loadOnnxModel, POOLED_SESSION_OPTIONS } from './onnx-model';
import { loadOnnxModelInWorker } from './worker-model';

/**
 * Model files up to this size also get a session on the main thread. Creating one takes 1–3 ms there (the bench's
 * penguins, 13 kB, and mnist, 408 kB), and it is created only while the server is starting (see serverPlacement).
 */
export const INLINE_MODEL_MAX_BYTES = 1024 * 1024;

/**
 * Where a server (the local twin, the SageMaker container) runs its models: every model in the shared worker pool,
 * so no long inference or big session creation ever stalls the event loop. A small model loaded while the server starts (before it is
 * ready, when no request is served yet) also gets a session on the main thread, for the requests measured to run
 * in less time than the trip to a worker (inline-runs.ts). A model loaded later (a reload after release or a worker's
 * death, a changed file) stays in the pool only: no session is created on an event loop that serves requests.
 * `workerScript`: the pool's worker code, when the entry point is not beside onnx-worker (worker-model.ts).
 */
export function serverPlacement(starting: () => boolean, workerScript?: string): PlaceModel {
  return async (name, version, bytes) => {
    const pooled = await loadOnnxModelInWorker(name, version, bytes, workerScript);
    if (!starting() || bytes.byteLength > INLINE_MODEL_MAX_BYTES) return pooled;
    try {
      return withInlineRuns(pooled, await loadOnnxModel(name, version, bytes, POOLED_SESSION_OPTIONS));
    } catch (error) {
      await pooled.release();
      throw error;
    }
  };
}
