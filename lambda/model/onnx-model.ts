import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { onnxTypeOfDatatype, openModelSession } from '../../contract/onnx-model-spec';
import type { ModelSpec, Tensor, TensorData } from '../protocol/tensor';
import type { LoadedModel } from './model-backend';
import { ort } from './onnx-runtime';

/**
 * Session options chosen on purpose: full graph optimisation (the session is built once and run many times), and
 * the session's own logger at fatal only (4). Its warnings (unused initializers and the like) repeat on every cold
 * start and say nothing the operator can act on; its errors are routed instead of printed: each one also fails the
 * call with the same message, which the registry or the handler logs as a structured record with the model and
 * request, where a plain-text stderr line would carry neither.
 */
const SESSION_OPTIONS: InferenceSession.SessionOptions = { graphOptimizationLevel: 'all', logSeverityLevel: 4 };

/**
 * For sessions in the shared worker pool (worker-pool.ts), which serves many models on a few threads: each session
 * computes on its worker's own thread only. ONNX Runtime's default gives every session its own intra-op thread pool
 * (one thread per core, spinning while idle), so hundreds of models meant hundreds of pools, thousands of threads
 * and busy cores with no traffic. Parallelism comes from the pool instead: one inference per worker at a time.
 */
export const POOLED_SESSION_OPTIONS: InferenceSession.SessionOptions = {
  ...SESSION_OPTIONS,
  executionMode: 'sequential',
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
};

/**
 * The second session of a big model in the pool (serverPlacement), for runs that are alone in the server: each run
 * computes on `intraOpThreads` threads, its worker's and threads of its own. The threads spin while a run lasts,
 * between its parallel steps, and stop at its end (`force_spinning_stop`), so an idle session costs no CPU. Measured
 * on the bench's 6 MB MLP, two threads, 32 rows: 0.33 ms against 0.6 ms on one thread; 0.42–0.55 ms when the threads
 * never spin (each step waits for a thread to wake); 0.27–0.29 ms with ONNX Runtime's default, which spins for ~35 ms
 * after each run. Alone only: runs that overlap already have the cores, and its threads took CPU from them (6 MB MLP
 * at 16 connections: 0.80–0.83× the naive server's requests/s with it, 0.94–1.15× without).
 */
export function parallelSessionOptions(intraOpThreads: number): InferenceSession.SessionOptions {
  return {
    ...POOLED_SESSION_OPTIONS,
    intraOpNumThreads: intraOpThreads,
    extra: {
      session: { force_spinning_stop: '1', intra_op: { allow_spinning: '1' }, inter_op: { allow_spinning: '0' } },
    },
  };
}

/**
 * Creates the ONNX Runtime session for one model version and derives its protocol metadata from the session, so
 * that what `/v2/models/<name>` reports is exactly what the runtime will check and accept.
 */
export async function loadOnnxModel(
  name: string,
  version: string,
  bytes: Uint8Array,
  options: InferenceSession.SessionOptions = SESSION_OPTIONS,
): Promise<LoadedModel> {
  const runtime = ort();
  const { session, spec } = await openModelSession(name, version, bytes, (model) =>
    runtime.InferenceSession.create(model, options),
  );
  return {
    spec,
    isAlive: true,
    async run(inputs, outputNames) {
      // Without a prototype: a tensor named "__proto__" would set the prototype of a plain object instead of a key,
      // and one named "toString" would be found on an object that was never given it.
      const feeds: Record<string, OrtTensor> = Object.create(null);
      for (const input of inputs) {
        feeds[input.name] = new runtime.Tensor(onnxTypeOfDatatype(input.datatype), input.data as never, input.shape);
      }
      const results = await session.run(feeds, outputNames as string[]);
      return outputNames.map((outputName) =>
        tensorOf(outputName, spec, Object.hasOwn(results, outputName) ? results[outputName] : undefined),
      );
    },
    release: () => session.release(),
  };
}

function tensorOf(name: string, spec: ModelSpec, value: OrtTensor | undefined): Tensor {
  const outputSpec = spec.outputs.find((output) => output.name === name);
  if (value === undefined || outputSpec === undefined) {
    throw new Error(`ONNX Runtime returned no value for output "${name}" of model ${spec.name}`);
  }
  return { name, datatype: outputSpec.datatype, shape: value.dims, data: value.data as TensorData };
}
