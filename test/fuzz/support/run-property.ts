/**
 * Runs one property: with fast-check's assert (CI and `npm run fuzz`), or, with FUZZ_SURVEY=1, over the same
 * generated values without stopping at the first failure, listing each distinct kind of failure with its count and
 * first example. A survey answers "what else is broken" while an earlier failure is not fixed yet.
 */
import fc from 'fast-check';
import { FUZZ_SEED, fuzzParameters } from './fuzz-settings';

const SURVEY = process.env.FUZZ_SURVEY === '1';

export interface PropertyRuns<T> {
  /** Runs in CI's short run. */
  readonly ciRuns: number;
  /** Share of FUZZ_RUNS in a long run, below 1 for expensive requests. @default 1 */
  readonly weight?: number;
  /** Counterexamples found before: they run first, every time. */
  readonly examples?: T[];
}

export async function runProperty<T>(
  arbitrary: fc.Arbitrary<T>,
  check: (value: T) => Promise<void>,
  runs: PropertyRuns<T>,
): Promise<void> {
  const examples = runs.examples ?? [];
  // fast-check takes a property's examples as argument lists.
  const parameters = fuzzParameters<[T]>(
    runs.ciRuns,
    examples.map((example): [T] => [example]),
    runs.weight,
  );
  if (!SURVEY) {
    await fc.assert(fc.asyncProperty(arbitrary, check), parameters);
    return;
  }
  const values = [...examples, ...fc.sample(arbitrary, { seed: FUZZ_SEED, numRuns: parameters.numRuns })];
  const failures = new Map<string, { count: number; message: string; example: string }>();
  for (const value of values) {
    try {
      await check(value);
    } catch (error) {
      if (fc.PreconditionFailure.isFailure(error)) continue;
      const message = error instanceof Error ? error.message : String(error);
      const kind = failureKind(message);
      const known = failures.get(kind);
      if (known !== undefined) known.count += 1;
      else failures.set(kind, { count: 1, message: message.slice(0, 400), example: fc.stringify(value).slice(0, 700) });
    }
  }
  if (failures.size > 0) {
    const report = [...failures.values()].map(
      (failure) => `${failure.count}x ${failure.message}\n    first example: ${failure.example}`,
    );
    throw new Error(`${failures.size} kind(s) of failure in ${values.length} runs:\n\n${report.join('\n\n')}`);
  }
}

/** Failures of one kind share the problem (the first line up to a colon, paths left out) and the status they got. */
function failureKind(message: string): string {
  const [problem = '', got = ''] = message.split('\n');
  return `${problem.split(':')[0]?.replace(/\S*\/\S*/g, '<path>')} | ${got.trim().slice(0, 7)}`;
}
