import { parentPort, workerData } from 'node:worker_threads';
import type { Tensor } from '../protocol/tensor';
import { loadOnnxModel } from './onnx-model';
import type { WorkerReply, WorkerRequest, WorkerStart } from './worker-messages';

/**
 * Serves one model in this worker thread: owns its ONNX Runtime session. onnxruntime-node's `run` computes on the calling thread, so a
 * session on the main thread would stall every other request (health checks included) for the whole inference.
 */
export async function serveModelInThisThread(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('a model worker must run in a worker thread');
  const { name, version, bytes } = workerData as WorkerStart;
  let model: Awaited<ReturnType<typeof loadOnnxModel>>;
  try {
    model = await loadOnnxModel(name, version, bytes);
  } catch (error) {
    port.postMessage({ kind: 'failed', message: (error as Error).message } satisfies WorkerReply);
    return;
  }
  port.postMessage({ kind: 'ready', spec: model.spec } satisfies WorkerReply);
  port.on('message', (request: WorkerRequest) => {
    const started = performance.now();
    model.run(request.inputs, request.outputNames).then(
      (outputs: Tensor[]) =>
        port.postMessage({
          kind: 'result',
          id: request.id,
          outputs,
          runMs: performance.now() - started,
        } satisfies WorkerReply),
      (error: Error) =>
        port.postMessage({ kind: 'error', id: request.id, message: error.message } satisfies WorkerReply),
    );
  });
}
