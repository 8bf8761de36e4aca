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
 * The most models of a pool given more than one session at a time (BigModelOptions), first loaded first served:
 * a parallel session has threads of its own (one per core but one, asleep between runs), and each replica the
 * model's memory again, so the process's threads and memory stay bounded whatever the number of big models. A model
 * unloaded (an LRU release) frees its place.
 */
export const BIG_MODELS_MAX = 2;

/** What a big model may get beyond its one session (WorkerPool.load). */
export interface BigModelOptions {
  /** Threads of a second session for runs alone in the server. @default 1 (none) */
  readonly parallelThreads?: number;
  /** Workers holding a session of the model. @default 1 */
  readonly replicas?: number;
}

/** The worker with the fewest runs waiting, the first of them on a tie (a lone run goes to the parallel session). */
function leastBusy(hosts: readonly PoolWorker[]): PoolWorker {
  let best = hosts[0] as PoolWorker;
  for (const host of hosts) if (host.runs.size < best.runs.size) best = host;
  return best;
}

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
 * (POOLED_SESSION_OPTIONS; a big model gets more, see load). A new model goes to the worker whose models weigh least;
 * workers start on demand and stop when they host no model, so a process whose models are all released can exit.
 *
 * Requests to models on one worker run one after the other, in order: a long inference delays the other models on
 * its worker, never the event loop, and never more than `size` inferences compete for the cores.
 */
export class WorkerPool {
  private readonly workers: PoolWorker[] = [];
  private nextModel = 0;
  /** The models given more than one session (BIG_MODELS_MAX). */
  private readonly bigModels = new Set<number>();

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

  /** Runs waiting for each worker now. */
  get runsWaiting(): number[] {
    return this.workers.map((worker) => worker.runs.size);
  }

  /** Models given more than one session now. */
  get bigModelCount(): number {
    return this.bigModels.size;
  }

  /**
   * Creates a session for the model in a worker; rejects with ONNX Runtime's message when it cannot. A big model
   * (serverPlacement) asks for more while fewer than BIG_MODELS_MAX models have them: `parallelThreads` above
   * 1 adds a session on that many threads for its runs alone in the server (parallelSessionOptions), and `replicas`
   * above 1 places sessions on that many workers (at most the pool's size), each run going to the one with the
   * fewest runs waiting, so that the runs of one busy model are not all queued on one thread.
   */
  async load(name: string, version: string, bytes: Uint8Array, options: BigModelOptions = {}): Promise<WorkerModel> {
    const model = this.nextModel++;
    const big =
      ((options.parallelThreads ?? 1) > 1 || (options.replicas ?? 1) > 1) && this.bigModels.size < BIG_MODELS_MAX;
    if (big) this.bigModels.add(model);
    const hosts = this.placeNew(big ? (options.replicas ?? 1) : 1);
    for (const host of hosts) host.models.set(model, bytes.byteLength);
    const loads = await Promise.allSettled(
      hosts.map((host, index) => {
        // A copy in an ArrayBuffer of its own is transferred: the caller keeps its bytes, and a Node Buffer's slice
        // would share (and detach) memory that other Buffers use.
        const copy = new Uint8Array(bytes);
        const parallelThreads = big && index === 0 ? (options.parallelThreads ?? 1) : 1;
        return new Promise<LoadedModel['spec']>((resolve, reject) => {
          host.loads.set(model, { resolve, reject });
          host.send({ kind: 'load', model, name, version, bytes: copy, parallelThreads }, [copy.buffer as ArrayBuffer]);
        });
      }),
    );
    const failed = loads.find((load) => load.status === 'rejected');
    if (failed !== undefined || loads[0]?.status !== 'fulfilled') {
      // Every load has settled: no session is created after this, and the replicas that loaded are released.
      await this.unloadEverywhere(hosts, model);
      throw failed?.reason;
    }
    return this.modelOn(hosts, model, loads[0].value);
  }

  private modelOn(hosts: readonly PoolWorker[], model: number, spec: LoadedModel['spec']): WorkerModel {
    let released = false;
    const runTimed = (inputs: readonly Tensor[], outputNames: readonly string[], alone = false): Promise<TimedRun> => {
      const host = leastBusy(hosts);
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
        return !released && hosts.every((host) => host.exitError === undefined);
      },
      runTimed,
      run: (inputs, outputNames) => runTimed(inputs, outputNames).then((run) => run.outputs),
      release: async () => {
        if (released) return;
        released = true;
        await this.unloadEverywhere(hosts, model);
      },
    };
  }

  /**
   * Releases the model's sessions on all its workers, then frees its big-model place: once every replica is gone,
   * so that the places bound the sessions that exist.
   */
  private async unloadEverywhere(hosts: readonly PoolWorker[], model: number): Promise<void> {
    await Promise.all(hosts.map((host) => this.unloadFrom(host, model)));
    this.bigModels.delete(model);
  }

  /** Releases the model's session on one worker (at once when the worker is gone) and forgets it there. */
  private async unloadFrom(host: PoolWorker, model: number): Promise<void> {
    if (host.exitError === undefined) {
      await new Promise<void>((resolve) => {
        host.unloads.set(model, resolve);
        host.send({ kind: 'unload', model });
      });
    }
    this.forget(host, model);
  }

  /**
   * The workers for a new model, `count` different ones at most: new ones while fewer than `size` run, else the ones
   * whose models weigh least.
   */
  private placeNew(count: number): PoolWorker[] {
    const chosen: PoolWorker[] = [];
    while (chosen.length < count && this.workers.length < this.size) {
      const worker = new PoolWorker(this.script, (gone) => this.remove(gone));
      this.workers.push(worker);
      chosen.push(worker);
    }
    const others = this.workers.filter((worker) => !chosen.includes(worker)).sort((a, b) => a.bytes - b.bytes);
    return [...chosen, ...others.slice(0, Math.max(1, count) - chosen.length)];
  }

  /** Stops a worker left without models: idle threads cost memory, and would keep the process alive. */
  private forget(host: PoolWorker, model: number): void {
    host.models.delete(model);
    if (host.models.size === 0 && host.exitError === undefined) {
      this.remove(host);
      void host.worker.terminate();
    }
  }

  private remove(worker: PoolWorker): void {
    const index = this.workers.indexOf(worker);
    if (index >= 0) this.workers.splice(index, 1);
    // A dead worker's models lost their sessions with it: their places are free for the reloads.
    for (const model of worker.models.keys()) this.bigModels.delete(model);
  }
}

/** One worker per core the process may use. */
export function defaultPoolSize(): number {
  return Math.max(1, availableParallelism());
}
