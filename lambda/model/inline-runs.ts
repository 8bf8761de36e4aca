import type { Tensor } from '../protocol/tensor';
import type { LoadedModel } from './model-backend';
import { RunsInFlight } from './runs-in-flight';
import { endServerRun, startServerRun } from './server-runs';
import type { WorkerModel } from './worker-pool';

/**
 * The longest a run may take on the event loop to stay there. Handing a run to a pool worker costs the event loop
 * 20–25 µs of its own CPU (the messages there and back) and the request 65–140 µs of latency (bench, quiet machine):
 * a run under this budget is cheaper on the event loop for both, and no other request waits long behind it.
 */
export const INLINE_RUN_BUDGET_MS = 0.05;

/**
 * The longest a run may take on the event loop when no other run is in flight in the server. With nothing waiting
 * behind it, a run there costs nobody anything, and the trip to a worker it saves is 65–140 µs of the request's
 * latency plus the worker's wake-up (a worker idle between requests runs mnist b1 in 90–470 µs against 11 µs on a
 * busy thread): one connection's requests never overlap, so at the budget above they spent their time hopping. For
 * longer runs the worker is slower too: the bench's 6 MB MLP ran 32 rows in 1.0–1.1 ms there plus 0.3 ms of trip,
 * against 0.77–0.85 ms on the event loop, whose thread had the request's data in its cache (one connection: 250 →
 * 320–357 requests/s at this budget, against 0.5 ms before). A request that arrives meanwhile waits at most about
 * this long, as it would for a large JSON body's parse (330 kB: 1.4 ms), and from then on the stricter budget applies.
 */
export const ALONE_INLINE_RUN_BUDGET_MS = 2;

/**
 * A size is tried on the event loop only when its runs in the pool took at most this long. A pool worker's timing is
 * only an upper bound: a worker woken from sleep runs a small model several times slower than a busy thread does
 * (mnist b1: 90–470 µs there, against 11 µs in a loop), so it cannot decide alone; it only bounds what a trial costs.
 */
export const INLINE_TRIAL_MAX_MS = 0.25;

/** The same bound for a run alone in the server, within which a trial may take ALONE_INLINE_RUN_BUDGET_MS's room. */
export const ALONE_INLINE_TRIAL_MAX_MS = 2 * ALONE_INLINE_RUN_BUDGET_MS;

/**
 * Runs in a trial on the event loop. One is not enough: the first run on a session that has been idle is several
 * times slower than the next (measured 110–390 µs against 13 µs for penguins b1).
 */
export const TRIAL_RUNS = 4;

/** While a size runs in the pool, one run in this many starts a new trial on the event loop. */
export const RESAMPLE_EVERY = 128;

/**
 * Runs remembered per size, from either path; the size's cost is the fastest of them. Fastest, not mean: on a busy
 * machine a run is often preempted or waits for a worker woken from sleep (measured: penguins b1 timed 13–136 µs on
 * the event loop and 15–170 µs in a worker within seconds), which says nothing about the model. Sixteen of them: a
 * size leaves the event loop only after sixteen slow runs in a row, not at the first burst of load.
 */
const SAMPLES_KEPT = 16;

interface SizeCosts {
  /** The last runs' own times, in the worker or on the event loop (milliseconds). */
  readonly recent: number[];
  /** Runs left in the current trial on the event loop. */
  trialLeft: number;
  /** Pool runs since the last trial, modulo RESAMPLE_EVERY. */
  count: number;
  /** Whether the size has had a trial: the first comes as soon as its runs are short enough. */
  tried: boolean;
}

/**
 * Timings of one model's runs by request size (powers of two of the input elements), and the path they choose. A
 * size never seen runs in the pool first, so the event loop is never handed a run nobody has timed; the next run of
 * a size whose runs took at most INLINE_TRIAL_MAX_MS starts a trial on the event loop; a size runs there for as long
 * as its fastest recent run is within INLINE_RUN_BUDGET_MS, and in the pool otherwise, with a new trial now and then
 * (the ALONE_ bounds for a run alone in the server).
 */
export class RunCosts {
  private readonly sizes = new Map<number, SizeCosts>();

  /**
   * Whether a request of `elements` input elements runs on the calling thread; `alone` when no other run is in
   * flight in the server, so that nothing would wait behind it there.
   */
  runsInline(elements: number, alone = false): boolean {
    const costs = this.costsOf(elements);
    if (costs.recent.length === 0) return false;
    if (costs.trialLeft > 0) {
      costs.trialLeft -= 1;
      return true;
    }
    const fastest = Math.min(...costs.recent);
    if (fastest <= (alone ? ALONE_INLINE_RUN_BUDGET_MS : INLINE_RUN_BUDGET_MS)) return true;
    costs.count = (costs.count + 1) % RESAMPLE_EVERY;
    if ((costs.tried && costs.count !== 0) || fastest > (alone ? ALONE_INLINE_TRIAL_MAX_MS : INLINE_TRIAL_MAX_MS)) {
      return false;
    }
    costs.tried = true;
    costs.count = 0;
    costs.trialLeft = TRIAL_RUNS - 1;
    return true;
  }

  /** Records a run's own time: in the pool worker (without the trip), or on the event loop (see withInlineRuns). */
  record(elements: number, runMs: number): void {
    const recent = this.costsOf(elements).recent;
    recent.push(runMs);
    if (recent.length > SAMPLES_KEPT) recent.shift();
  }

  private costsOf(elements: number): SizeCosts {
    const size = sizeClass(elements);
    let costs = this.sizes.get(size);
    if (costs === undefined) {
      costs = { recent: [], trialLeft: 0, count: 0, tried: false };
      this.sizes.set(size, costs);
    }
    return costs;
  }
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
 * takes ~100 µs to hand over). Longer runs go to the pool, so the event loop is held at most that long per run; up
 * to ALONE_INLINE_RUN_BUDGET_MS when no other run is in flight in the server, as for one connection's requests.
 * `costs` is the model's own record (given by tests that watch its choices).
 */
export function withInlineRuns(pooled: WorkerModel, inline: LoadedModel, costs = new RunCosts()): LoadedModel {
  const runningInline = new RunsInFlight();
  return {
    spec: pooled.spec,
    get isAlive() {
      return pooled.isAlive;
    },
    async run(inputs, outputNames) {
      const elements = elementCount(inputs);
      const alone = startServerRun();
      try {
        if (costs.runsInline(elements, alone)) {
          const started = startOfNextImmediate();
          runningInline.start();
          try {
            const outputs = await inline.run(inputs, outputNames);
            costs.record(elements, performance.now() - started.at);
            return outputs;
          } finally {
            runningInline.end();
          }
        }
        const { outputs, runMs } = await pooled.runTimed(inputs, outputNames, alone);
        costs.record(elements, runMs);
        return outputs;
      } finally {
        endServerRun();
      }
    },
    async release() {
      await runningInline.finished();
      await Promise.all([pooled.release(), inline.release()]);
    },
  };
}
