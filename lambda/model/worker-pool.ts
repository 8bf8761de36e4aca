import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Tensor } from '../protocol/tensor';
import type { LoadedModel } from './model-backend';
import { WaitingSlots } from './waiting-slots';
import type { WorkerReply, WorkerRequest } from './worker-messages';

export interface TimedRun {
  readonly outputs: Tensor[];
  /** How long the model itself ran in the worker, in milliseconds. */
  readonly runMs: number;
}

/** A model in a pool worker, which can also say how long each run took there. */
export interface WorkerModel extends LoadedModel {
  /** `alone`: no other run is in flight in the server (server-runs.ts), so a big model may compute on every core. */
  runTimed(inputs: readonly Tensor[], outputNames: readonly string[], alone?: boolean): Promise<TimedRun>;
}

/**
 * The most models of a pool with a parallel session at a time, first loaded first served: each such session has
 * threads of its own (one per core but one, asleep between runs), so the process's threads stay a small multiple of
 * its cores whatever the number of big models. A model unloaded (an LRU release) frees its place.
 */
export const PARALLEL_SESSIONS_MAX = 2;

interface Waiting<T> {
  resolve(value: T): void;
  reject(error: Error): void;
}

/** One worker thread of the pool and what waits on it. */
class PoolWorker {
  readonly worker: Worker;
  /** Model versions placed here, with their file sizes: the pool places a new one on the lightest worker. */
  readonly models = new Map<number, number>();
  readonly loads = new Map<number, Waiting<LoadedModel['spec']>>();
  readonly unloads = new Map<number, () => void>();
  readonly runs = new WaitingSlots<Waiting<TimedRun>>();
  exitError: Error | undefined;

  constructor(script: string, onExit: (worker: PoolWorker) => void) {
    this.worker = new Worker(script, { eval: true });
    this.worker.on('message', (reply: WorkerReply) => this.receive(reply));
    this.worker.on('error', (error) => {
      this.exitError = error;
    });
    this.worker.on('exit', (code) => {
      this.exitError ??= new Error(`a model worker thread exited with code ${code}`);
      const error = this.exitError;
      for (const waiting of [...this.loads.values(), ...this.runs.takeAll()]) waiting.reject(error);
      for (const done of this.unloads.values()) done();
      this.loads.clear();
      this.unloads.clear();
      onExit(this);
    });
  }

  get bytes(): number {
    let total = 0;
    for (const size of this.models.values()) total += size;
    return total;
  }

  send(request: WorkerRequest, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(request, transfer);
  }

  private receive(reply: WorkerReply): void {
    switch (reply.kind) {
      case 'loaded':
        this.loads.get(reply.model)?.resolve(reply.spec);
        this.loads.delete(reply.model);
        return;
      case 'failed':
        this.loads.get(reply.model)?.reject(new Error(reply.message));
        this.loads.delete(reply.model);
        return;
      case 'unloaded':
        this.unloads.get(reply.model)?.();
        this.unloads.delete(reply.model);
        return;
      case 'result':
        this.runs.take(reply.id)?.resolve({ outputs: reply.outputs, runMs: reply.runMs });
        return;
      case 'error':
        this.runs.take(reply.id)?.reject(new Error(reply.message));
        return;
    }
  }
}

/**
 * A bounded set of worker threads shared by every model of the process: at most `size` threads (one per core by
 * default), whatever the number of models, each hosting many ONNX Runtime sessions that compute on that thread only
 * (POOLED_SESSION_OPTIONS; a big model's runs alone in the server on more, see serverPlacement). A new model goes to the worker whose models weigh least; workers start on demand and stop
 * when they host no model, so a process whose models are all released can exit.
 *
 * Requests to models on one worker run one after the other, in order: a long inference delays the other models on
 * its worker, never the event loop, and never more than `size` inferences compete for the cores.
 */
export class WorkerPool {
  private readonly workers: PoolWorker[] = [];
  private nextModel = 0;
  /** The models given a parallel session. */
  private readonly parallel = new Set<number>();

  constructor(
    private readonly script: string,
    readonly size: number = defaultPoolSize(),
  ) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`a worker pool needs at least 1 thread, got ${size}`);
  }

  /** Worker threads running now. */
  get threads(): number {
    return this.workers.length;
  }

  /** Models with a parallel session now. */
  get parallelSessions(): number {
    return this.parallel.size;
  }

  /**
   * Creates a session for the model in a worker, and with `parallelThreads` above 1 a second one for its runs alone
   * in the server (parallelSessionOptions) while fewer than PARALLEL_SESSIONS_MAX models have one; rejects with ONNX
   * Runtime's message when it cannot.
   */
  async load(name: string, version: string, bytes: Uint8Array, parallelThreads = 1): Promise<WorkerModel> {
    const host = this.placeNew();
    const model = this.nextModel++;
    host.models.set(model, bytes.byteLength);
    const parallel = parallelThreads > 1 && this.parallel.size < PARALLEL_SESSIONS_MAX;
    if (parallel) this.parallel.add(model);
    // A copy in an ArrayBuffer of its own is transferred: the caller keeps its bytes, and a Node Buffer's slice
    // would share (and detach) memory that other Buffers use.
    const copy = new Uint8Array(bytes);
    try {
      const spec = await new Promise<LoadedModel['spec']>((resolve, reject) => {
        host.loads.set(model, { resolve, reject });
        host.send(
          { kind: 'load', model, name, version, bytes: copy, parallelThreads: parallel ? parallelThreads : 1 },
          [copy.buffer as ArrayBuffer],
        );
      });
      return this.modelOn(host, model, spec);
    } catch (error) {
      this.forget(host, model);
      throw error;
    }
  }

  private modelOn(host: PoolWorker, model: number, spec: LoadedModel['spec']): WorkerModel {
    let released = false;
    const runTimed = (inputs: readonly Tensor[], outputNames: readonly string[], alone = false): Promise<TimedRun> => {
      if (host.exitError !== undefined) return Promise.reject(host.exitError);
      if (released) return Promise.reject(new Error(`model ${spec.name} version ${spec.version} was unloaded`));
      return new Promise<TimedRun>((resolve, reject) => {
        const id = host.runs.add({ resolve, reject });
        try {
          host.send({ kind: 'run', id, model, inputs, outputNames, alone });
        } catch (error) {
          // Inputs the worker cannot be sent: nothing will answer this id.
          host.runs.take(id);
          reject(error);
        }
      });
    };
    return {
      spec,
      get isAlive() {
        return !released && host.exitError === undefined;
      },
      runTimed,
      run: (inputs, outputNames) => runTimed(inputs, outputNames).then((run) => run.outputs),
      release: async () => {
        if (released) return;
        released = true;
        if (host.exitError === undefined) {
          await new Promise<void>((resolve) => {
            host.unloads.set(model, resolve);
            host.send({ kind: 'unload', model });
          });
        }
        this.forget(host, model);
      },
    };
  }

  /** The worker for a new model: a new one while fewer than `size` run, else the one whose models weigh least. */
  private placeNew(): PoolWorker {
    if (this.workers.length < this.size) {
      const worker = new PoolWorker(this.script, (gone) => this.remove(gone));
      this.workers.push(worker);
      return worker;
    }
    return this.workers.reduce((lightest, worker) => (worker.bytes < lightest.bytes ? worker : lightest));
  }

  /** Stops a worker left without models: idle threads cost memory, and would keep the process alive. */
  private forget(host: PoolWorker, model: number): void {
    host.models.delete(model);
    this.parallel.delete(model);
    if (host.models.size === 0 && host.exitError === undefined) {
      this.remove(host);
      void host.worker.terminate();
    }
  }

  private remove(worker: PoolWorker): void {
    const index = this.workers.indexOf(worker);
    if (index >= 0) this.workers.splice(index, 1);
    // A dead worker's models lost their sessions with it: their places are free for the reloads.
    for (const model of worker.models.keys()) this.parallel.delete(model);
  }
}

/** One worker per core the process may use. */
export function defaultPoolSize(): number {
  return Math.max(1, availableParallelism());
}
