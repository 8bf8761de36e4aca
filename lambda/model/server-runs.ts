import type { WorkerModel } from './worker-pool';

/**
 * Model runs in flight in this server process, on every model it serves. A run that starts at zero is alone: nothing
 * waits behind it and the other cores are idle, as for one connection's requests, which never overlap. Such a run
 * may hold the event loop longer (inline-runs.ts), and a big model's computes on every core (serverPlacement).
 */
let running = 0;

/** Counts a run in; returns whether it is alone. */
export function startServerRun(): boolean {
  running += 1;
  return running === 1;
}

export function endServerRun(): void {
  running -= 1;
}

/** A model served from the worker pool only, whose runs count in the server's runs and say when they are alone. */
export function withCountedRuns(pooled: WorkerModel): WorkerModel {
  return {
    spec: pooled.spec,
    get isAlive() {
      return pooled.isAlive;
    },
    runTimed: (inputs, outputNames, alone) => pooled.runTimed(inputs, outputNames, alone),
    async run(inputs, outputNames) {
      const alone = startServerRun();
      try {
        return (await pooled.runTimed(inputs, outputNames, alone)).outputs;
      } finally {
        endServerRun();
      }
    },
    release: () => pooled.release(),
  };
}
