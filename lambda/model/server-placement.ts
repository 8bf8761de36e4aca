import { availableParallelism, totalmem } from 'node:os';
import { withInlineRuns } from './inline-runs';
import type { PlaceModel } from './model-backend';
import { loadOnnxModel, POOLED_SESSION_OPTIONS } from './onnx-model';
import { withCountedRuns } from './server-runs';
import { loadOnnxModelInWorker } from './worker-model';

/**
 * Model files up to this size also get a session on the main thread. Creating one takes 1–3 ms there for the bench's
 * penguins (13 kB) and mnist (408 kB), 3–14 ms for its 6 MB wide MLP, whose single rows run in ~0.25 ms: about the
 * trip to a worker woken for them. It is created only while the server is starting (see serverPlacement).
 */
export const INLINE_MODEL_MAX_BYTES = 8 * 1024 * 1024;

/**
 * The most model bytes that get a main-thread session in one server, first loaded first served: the second session
 * doubles a model's memory, and every one is created on the main thread while the server starts. 300 copies of the
 * bench's mnist weigh 122 MB.
 */
export const INLINE_MODELS_MAX_TOTAL_BYTES = 256 * 1024 * 1024;

/**
 * A model file from this size up to the next is big: within the pool's BIG_MODELS_MAX it gets sessions on several
 * workers (REPLICAS_MAX_BYTES) and a session whose runs compute on every core, for its runs alone in the server
 * (parallelSessionOptions). Such a model's runs are long enough for a second core to shorten them (the bench's 6 MB
 * MLP, 32 rows: 0.33 ms on two threads against 0.6 ms on one), where a small model's are not (mnist, 0.4 MB: 47 µs
 * either way).
 */
export const PARALLEL_MODEL_MIN_BYTES = 1024 * 1024;

/** Above this size a second session's memory weighs more than a lone request's latency. */
export const PARALLEL_MODEL_MAX_BYTES = 256 * 1024 * 1024;

/**
 * A big model's sessions on several workers (one per core) weigh at most this much in all, so that a busy model's
 * runs that overlap are computed on as many cores instead of queueing on one worker (50 MB MLP at 16 connections
 * on two cores: the one worker was the bottleneck at 0.84× the naive server). A 256 MiB model gets 4.
 */
export const REPLICAS_MAX_BYTES = 1024 * 1024 * 1024;

/**
 * The share of the process's memory (its cgroup limit, else the machine's) that one big model's extra sessions may
 * take, each session counted at 3× the file as the SageMaker endpoint's memory sizing counts it
 * (lib/constructs/sagemaker-endpoint.ts): two big models at most take half. A model with no room for one extra
 * session gets none, as in a serverless endpoint sized for a single session (a 200 MB model in 2,048 MB).
 */
export const BIG_MODEL_MEMORY_SHARE = 0.25;

const SESSION_BYTES_PER_FILE_BYTE = 3;

export interface ServerPlacementOptions {
  /** The pool's worker code, when the entry point is not beside onnx-worker (worker-model.ts). */
  readonly workerScript?: string;
  /** The most model bytes with a main-thread session (INLINE_MODELS_MAX_TOTAL_BYTES unless a test says otherwise). */
  readonly inlineTotalBytes?: number;
  /**
   * Threads a parallel session computes on, and workers holding a big model.
   * @default - the cores the process may use
   */
  readonly parallelThreads?: number;
  /** The process's memory, for BIG_MODEL_MEMORY_SHARE. @default - its cgroup limit, else the machine's memory */
  readonly memoryBytes?: number;
}

/**
 * Where a server (the local twin, the SageMaker container) runs its models: every model in the shared worker pool,
 * so no long inference or big session creation ever stalls a serving event loop. A small model loaded while the
 * server starts (before it is ready, when no request is served yet) also gets a session on the main thread, within
 * the total above, for the requests measured to run in less time than the trip to a worker (inline-runs.ts). A big
 * model gets sessions on several workers and one on every core (PARALLEL_MODEL_MIN_BYTES above). A model loaded later
 * (a reload after release or a worker's death, a changed file) stays in the pool only: no session is created on an
 * event loop that serves requests.
 */
export function serverPlacement(starting: () => boolean, options: ServerPlacementOptions = {}): PlaceModel {
  let inlineBytesLeft = options.inlineTotalBytes ?? INLINE_MODELS_MAX_TOTAL_BYTES;
  const cores = options.parallelThreads ?? availableParallelism();
  const memory = options.memoryBytes ?? processMemoryBytes();
  return async (name, version, bytes) => {
    const size = bytes.byteLength;
    // The parallel session is one of them; the replicas beyond the first the others.
    const extraSessions = Math.floor((memory * BIG_MODEL_MEMORY_SHARE) / (SESSION_BYTES_PER_FILE_BYTE * size));
    const big = size >= PARALLEL_MODEL_MIN_BYTES && size <= PARALLEL_MODEL_MAX_BYTES && extraSessions >= 1;
    const replicas = Math.min(cores, Math.floor(REPLICAS_MAX_BYTES / size), extraSessions);
    const pooled = await loadOnnxModelInWorker(name, version, bytes, {
      ...(options.workerScript !== undefined && { script: options.workerScript }),
      ...(big && { parallelThreads: cores, replicas }),
    });
    if (!starting() || size > INLINE_MODEL_MAX_BYTES || size > inlineBytesLeft) return withCountedRuns(pooled);
    inlineBytesLeft -= size;
    try {
      return withInlineRuns(pooled, await loadOnnxModel(name, version, bytes, POOLED_SESSION_OPTIONS));
    } catch (error) {
      inlineBytesLeft += size;
      await pooled.release();
      throw error;
    }
  };
}

/** The memory this process may use: its cgroup limit (a container's) when it has one, else the machine's. */
function processMemoryBytes(): number {
  const constrained = process.constrainedMemory?.() ?? 0;
  return constrained > 0 ? Math.min(constrained, totalmem()) : totalmem();
}
