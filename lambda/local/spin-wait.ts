import { Worker } from 'node:worker_threads';

/**
 * How long after a request one core keeps spinning by default, in milliseconds. One client's next request follows
 * its answer within 0.1–0.3 ms on loopback and within a round trip (about a millisecond) on a network.
 */
export const DEFAULT_SPIN_WAIT_MS = 2;

/** How long the spinning pauses once requests overlap, in milliseconds: a busy server does not sleep between them. */
const BUSY_PAUSE_MS = 50;

/** The shared cells, each an Int32. */
const ACTIVITY = 0; // requests started and ended, wrapping: the spinner watches it change
const STATE = 1; // what the spinner does now: one of the values below
const BUSY = 2; // set when a request starts while another is in flight
const WINDOW_US = 3; // the spin window, in microseconds
const CELLS = 4;

const SPINNING = 0;
const SLEEPING = 1; // until the next request
const PAUSED = 2; // for BUSY_PAUSE_MS
const STATES = ['spinning', 'sleeping', 'paused'] as const;

// Plain JavaScript run by the spinning thread itself, outside any bundle. `setPriority` with no pid sets the calling
// thread's nice value on Linux (the only platform it is started on), so the rest of the process keeps its priority.
const SPINNER_CODE = `
const { workerData } = require('node:worker_threads');
require('node:os').setPriority(19);
const cells = new Int32Array(workerData.cells);
const nap = new Int32Array(new SharedArrayBuffer(4));
for (;;) {
  let seen = Atomics.load(cells, ${ACTIVITY});
  let until = performance.now() + Atomics.load(cells, ${WINDOW_US}) / 1000;
  let busy = false;
  while (performance.now() < until) {
    if (Atomics.load(cells, ${BUSY}) !== 0) { busy = true; break; }
    const now = Atomics.load(cells, ${ACTIVITY});
    if (now !== seen) { seen = now; until = performance.now() + Atomics.load(cells, ${WINDOW_US}) / 1000; }
  }
  if (busy) {
    Atomics.store(cells, ${STATE}, ${PAUSED});
    Atomics.wait(nap, 0, 0, ${BUSY_PAUSE_MS});
    Atomics.store(cells, ${BUSY}, 0);
  } else {
    Atomics.store(cells, ${STATE}, ${SLEEPING});
    Atomics.wait(cells, ${ACTIVITY}, seen);
  }
  Atomics.store(cells, ${STATE}, ${SPINNING});
}
`;

/** What a server tells the spinner: each request's start and end. */
export interface SpinWait {
  requestStarted(): void;
  requestEnded(): void;
  /** What the spinning thread does now (tests watch it). */
  readonly state: (typeof STATES)[number];
}

let processSpinner: { readonly cells: Int32Array; inFlight: number } | undefined;

/**
 * Keeps one core awake between one client's requests. An idle core sleeps, and a sleeping core (a virtual machine's
 * above all) takes tens of microseconds to wake: a server that answers one request at a time sleeps after every
 * answer, and pays that wake-up on every request. Measured (bench, 2-core VM, one connection): the local server
 * answered penguins b1 at ~5,800 requests/s with all cores left to sleep and at ~10,000 with this on.
 *
 * ONNX Runtime's own thread pools do the same: each session's threads spin for about 35 ms after a run (measured),
 * which is where a plain server's speed at one connection comes from, and what hundreds of sessions cannot all do.
 * Here one thread per process spins, at the lowest priority (nice 19) so any other work takes the core from it, for
 * up to `windowMs` after each request's start and end, and sleeps (using no CPU) once requests stop. It pauses
 * while requests overlap: a busy server has no sleep to save, and a spinning core there only took CPU from the work
 * (measured: 25–30 % fewer requests/s at 16 connections before this pause).
 *
 * Linux only (elsewhere undefined): `setPriority` lowers one thread's priority only there. `windowMs` 0 turns it off.
 * One spinner serves every server of the process; the last window given applies.
 */
export function spinWait(windowMs: number = DEFAULT_SPIN_WAIT_MS): SpinWait | undefined {
  if (!(windowMs > 0) || process.platform !== 'linux') return undefined;
  if (processSpinner === undefined) {
    const cells = new Int32Array(new SharedArrayBuffer(CELLS * Int32Array.BYTES_PER_ELEMENT));
    // The thread never ends on its own: unreferenced, it does not keep the process alive.
    new Worker(SPINNER_CODE, { eval: true, workerData: { cells: cells.buffer } }).unref();
    processSpinner = { cells, inFlight: 0 };
  }
  const spinner = processSpinner;
  const { cells } = spinner;
  Atomics.store(cells, WINDOW_US, Math.round(windowMs * 1000));
  // A notify is a system call: made only when the spinner sleeps.
  const wake = () => {
    if (Atomics.load(cells, STATE) === SLEEPING) Atomics.notify(cells, ACTIVITY);
  };
  return {
    requestStarted() {
      spinner.inFlight += 1;
      Atomics.add(cells, ACTIVITY, 1);
      if (spinner.inFlight > 1) Atomics.store(cells, BUSY, 1);
      else wake();
    },
    requestEnded() {
      spinner.inFlight -= 1;
      // The window also runs from each answer: the client's next request follows the answer, and a run longer than
      // the window would otherwise leave every core asleep when it comes.
      Atomics.add(cells, ACTIVITY, 1);
      wake();
    },
    get state() {
      return STATES[Atomics.load(cells, STATE)] ?? 'spinning';
    },
  };
}

/** The spin window from a command-line option or environment variable (`source` names it in the error). */
export function parseSpinWaitMs(text: string | undefined, source: string): number {
  if (text === undefined || text.trim() === '') return DEFAULT_SPIN_WAIT_MS;
  const windowMs = Number(text);
  if (!(windowMs >= 0 && windowMs <= 1000)) {
    throw new Error(`${source} must be a number of milliseconds from 0 (off) to 1000, got "${text}"`);
  }
  return windowMs;
}
