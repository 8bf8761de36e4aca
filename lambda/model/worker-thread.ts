import { parentPort } from 'node:worker_threads';
import type { LoadedModel } from './model-backend';
import { loadOnnxModel, POOLED_SESSION_OPTIONS, parallelSessionOptions } from './onnx-model';
import { RunsInFlight } from './runs-in-flight';
import type { WorkerReply, WorkerRequest } from './worker-messages';

/** A model's sessions in this worker: the one for every run, and for a big model one for runs alone in the server. */
interface Sessions {
  readonly sequential: LoadedModel;
  readonly parallel?: LoadedModel;
}

interface Hosted {
  readonly model: Promise<Sessions>;
  /** Runs asked of this model and not answered yet: an unload waits for them, never releases under a run. */
  readonly running: RunsInFlight;
}

/**
 * Serves the models the pool places in this worker thread: one ONNX Runtime session each, created here and never on
 * the main thread. onnxruntime-node's `create` and `run` compute on the calling thread, so on the main thread they
 * would stall every other request (health checks included) for as long as they take.
 */
export function serveModelsInThisThread(): void {
  const port = parentPort;
  if (port === null) throw new Error('a model worker must run in a worker thread');
  const hosted = new Map<number, Hosted>();
  const reply = (message: WorkerReply) => port.postMessage(message);

  port.on('message', (request: WorkerRequest) => {
    switch (request.kind) {
      case 'load': {
        const model = loadSessions(request.name, request.version, request.bytes, request.parallelThreads);
        hosted.set(request.model, { model, running: new RunsInFlight() });
        model.then(
          (loaded) => reply({ kind: 'loaded', model: request.model, spec: loaded.sequential.spec }),
          (error: Error) => {
            hosted.delete(request.model);
            reply({ kind: 'failed', model: request.model, message: error.message });
          },
        );
        return;
      }
      case 'run': {
        const entry = hosted.get(request.model);
        if (entry === undefined) {
          reply({ kind: 'error', id: request.id, message: `model ${request.model} is not loaded in this worker` });
          return;
        }
        const started = performance.now();
        entry.running.start();
        void entry.model
          .then((sessions) =>
            (request.alone ? (sessions.parallel ?? sessions.sequential) : sessions.sequential).run(
              request.inputs,
              request.outputNames,
            ),
          )
          .then(
            (outputs) => reply({ kind: 'result', id: request.id, outputs, runMs: performance.now() - started }),
            (error: Error) => reply({ kind: 'error', id: request.id, message: error.message }),
          )
          .finally(() => entry.running.end());
        return;
      }
      case 'unload': {
        const entry = hosted.get(request.model);
        hosted.delete(request.model);
        const done = entry === undefined ? Promise.resolve() : unload(entry);
        void done.finally(() => reply({ kind: 'unloaded', model: request.model }));
        return;
      }
    }
  });
}

async function loadSessions(name: string, version: string, bytes: Uint8Array, parallelThreads: number) {
  const sequential = await loadOnnxModel(name, version, bytes, POOLED_SESSION_OPTIONS);
  if (parallelThreads <= 1) return { sequential };
  try {
    return { sequential, parallel: await loadOnnxModel(name, version, bytes, parallelSessionOptions(parallelThreads)) };
  } catch (error) {
    await sequential.release();
    throw error;
  }
}

async function unload(entry: Hosted): Promise<void> {
  await entry.running.finished();
  const sessions = await entry.model.catch(() => undefined);
  await sessions?.sequential.release();
  await sessions?.parallel?.release();
}
