import type { Tensor } from '../protocol/tensor';
import type { LoadedModel } from './model-backend';
import type { WorkerModel } from './worker-pool';

/**
 * The longest a run may take on the event loop to stay there. Handing a run to a pool worker costs the event loop
 * 20–25 µs of its own CPU (the messages there and back) and the request 65–140 µs of latency (bench, quiet machine):
 * a run under this budget is cheaper on the event loop for both, and no other request waits long behind it.
 */
export const INLINE_RUN_BUDGET_MS = 0.05;

/**
 * A size is tried on the event loop only when its runs in the pool took at most this long. A pool worker's timing is
 * only an upper bound: a worker woken from sleep runs a small model several times slower than a busy thread does
 * (mnist b1: 90–470 µs there, against 11 µs in a loop), so it cannot decide alone; it only bounds what a trial costs.
 */
export const INLINE_TRIAL_MAX_MS = 0.25;

/**
 * Runs in a trial on the event loop: the size stays there when the fastest of them was within the budget. One is not
 * enough: the first run on a session that has been idle is several times slower than the next (measured 110–390 µs
 * against 13 µs for penguins b1), and would condemn a size that is cheap once warm.
 */
export const TRIAL_RUNS = 4;

/**
 * One run in this many takes the other path: a pool run while the size runs on the event loop, a new trial while it
 * runs in the pool. The choice follows the machine's load and a model whose run time depends on the data.
 */
export const RESAMPLE_EVERY = 128;

interface SizeCosts {
  /** The last pool runs' times in the worker (the model's own run, without the trip). */
  readonly pool: number[];
  /** The current trial's or the last runs' times on the event loop, from the call to the answer. */
  inline: number[];
  count: number;
}

/**
 * Timings of the runs of one model by request size (powers of two of the input elements), and the choice of path
 * they make: a size never seen runs in the pool first, so the event loop is never handed a run nobody has timed; a
 * size whose pool runs are short enough gets a trial on the event loop, and stays there when the trial's fastest run
 * is within INLINE_RUN_BUDGET_MS. Fastest, not mean: a run that waited on a preempted thread or a busy event loop
 * says little about the model.
 */
export class RunCosts {
  private readonly sizes = new Map<number, SizeCosts>();

  /** Whether a request of `elements` input elements runs on the calling thread. */
  runsInline(elements: number): boolean {
    const costs = this.costsOf(elements);
    if (costs.pool.length === 0 || Math.min(...costs.pool) > INLINE_TRIAL_MAX_MS) return false;
    costs.count = (costs.count + 1) % RESAMPLE_EVERY;
    if (costs.inline.length < TRIAL_RUNS) return true;
    const cheap = Math.min(...costs.inline) <= INLINE_RUN_BUDGET_MS;
    if (costs.count !== 0) return cheap;
    if (cheap) return false;
    costs.inline = [];
    return true;
  }

  /** Records a run's time in the pool worker (the model's own run, without the trip). */
  recordPool(elements: number, runMs: number): void {
    keepLast(this.costsOf(elements).pool, runMs);
  }

  /** Records a run's time on the event loop, from the call to its answer. */
  recordInline(elements: number, runMs: number): void {
    keepLast(this.costsOf(elements).inline, runMs);
  }

  private costsOf(elements: number): SizeCosts {
    const size = sizeClass(elements);
    let costs = this.sizes.get(size);
    if (costs === undefined) {
      costs = { pool: [], inline: [], count: 0 };
      this.sizes.set(size, costs);
    }
    return costs;
  }
}

function keepLast(list: number[], runMs: number): void {
  list.push(runMs);
  if (list.length > TRIAL_RUNS) list.shift();
}

/**
 * When the immediate queued next starts. onnxruntime-node runs a session in a `setImmediate` callback queued as
 * `run` is called; queued right before that call, this callback runs right before the run, so the time from it to
 * the run's answer is the run's own, without the other requests the event loop handled while the run waited for its
 * turn (at 16 connections that wait was several times the run). Should a later onnxruntime-node run elsewhere, the
 * time would include that wait: an overestimate, which only sends more runs to the pool.
 */
function startOfNextImmediate(): { at: number } {
  const started = { at: performance.now() };
  setImmediate(() => {
    started.at = performance.now();
  });
  return started;
}

function sizeClass(elements: number): number {
  return elements <= 1 ? 0 : Math.ceil(Math.log2(elements));
}

function elementCount(inputs: readonly Tensor[]): number {
  let total = 0;
  for (const input of inputs) total += input.data.length;
  return total;
}

/**
 * A model served from the worker pool that also holds a session on the calling thread, for the request sizes
 * measured to run there in about the time the trip to a worker takes (a tiny model's request runs in ~10 µs and
 * takes ~100 µs to hand over). Longer runs go to the pool, so the event loop is held at most that long per run.
 */
export function withInlineRuns(pooled: WorkerModel, inline: LoadedModel): LoadedModel {
  const costs = new RunCosts();
  const running = new Set<Promise<unknown>>();
  return {
    spec: pooled.spec,
    get isAlive() {
      return pooled.isAlive;
    },
    async run(inputs, outputNames) {
      const elements = elementCount(inputs);
      if (costs.runsInline(elements)) {
        const started = startOfNextImmediate();
        const run = inline.run(inputs, outputNames);
        running.add(run);
        try {
          const outputs = await run;
          costs.recordInline(elements, performance.now() - started.at);
          return outputs;
        } finally {
          running.delete(run);
        }
      }
      const { outputs, runMs } = await pooled.runTimed(inputs, outputNames);
      costs.recordPool(elements, runMs);
      return outputs;
    },
    async release() {
      // A session released under a run would fail it: the runs already started finish first.
      await Promise.allSettled(running);
      await Promise.all([pooled.release(), inline.release()]);
    },
  };
}
