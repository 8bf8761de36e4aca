/**
 * How long the fuzzer runs. In `npm test` every property runs a fixed, small number of times from a fixed seed, so
 * CI is quick and repeatable; `npm run fuzz` (scripts/fuzz.ts) sets FUZZ_RUNS, FUZZ_SEED and, to replay one failure,
 * FUZZ_PATH.
 */
import type fc from 'fast-check';

/** The seed of CI's short run: fixed, so a failure in CI is the same failure on a laptop. */
export const CI_SEED = 9_009;

export const FUZZ_SEED = readInteger('FUZZ_SEED') ?? CI_SEED;
const FUZZ_RUNS = readInteger('FUZZ_RUNS');
const FUZZ_PATH = process.env.FUZZ_PATH || undefined;

/** A long local run (`npm run fuzz`) rather than CI's short one. */
export const LONG_RUN = FUZZ_RUNS !== undefined;

/** Jest's limit for one property: CI's short runs take seconds; long runs and surveys take what they take. */
export const PROPERTY_TIMEOUT_MS = LONG_RUN || process.env.FUZZ_SURVEY === '1' ? 6 * 60 * 60 * 1000 : 60_000;

/** Longest wait for one answer: past it, the request counts as a hang. */
export const REQUEST_TIMEOUT_MS = 5_000;

function readInteger(name: string): number | undefined {
  const text = process.env[name];
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new Error(`${name} must be an integer, got "${text}"`);
  return value;
}

/**
 * fast-check's parameters for one property: `ciRuns` runs in CI, FUZZ_RUNS × `weight` in a long run (weight < 1 for
 * properties whose requests are expensive). Each counterexample found so far is in `examples`, which run first, so
 * every class of defect once found stays guarded. CI does not shrink (shrinking re-runs failing requests, some of
 * which wait for a timeout); a long run shrinks, and FUZZ_PATH replays one failure straight to its smallest form.
 */
export function fuzzParameters<T>(ciRuns: number, examples: T[] = [], weight = 1): fc.Parameters<T> {
  return {
    seed: FUZZ_SEED,
    numRuns: FUZZ_RUNS === undefined ? ciRuns : Math.max(1, Math.round(FUZZ_RUNS * weight)),
    examples,
    endOnFailure: !LONG_RUN && FUZZ_PATH === undefined,
    ...(FUZZ_PATH !== undefined && { path: FUZZ_PATH }),
  };
}

/** Resolves as `promise` does, or rejects once `ms` have passed: a request that gets no answer is a failure. */
export function withinTime<T>(promise: Promise<T>, what: string, ms = REQUEST_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms (a hang): ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
