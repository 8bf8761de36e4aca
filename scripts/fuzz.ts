/**
 * `npm run fuzz`: the property-based fuzz suites (test/fuzz) for longer than CI runs them, from a new seed each time
 * unless one is given, then the answers counted by status. Usage:
 *
 *   npm run fuzz                                   about 1,000 runs per property (a few minutes), a new random seed
 *   npm run fuzz -- --runs 20000 --seed 42         more runs, a chosen seed
 *   npm run fuzz -- --seed 42 --path "17:3" -t "route table"
 *                                                  replay one failure from its seed and path, straight to its
 *                                                  smallest form (-t picks the property, as in Jest)
 *   npm run fuzz -- --survey                       every kind of failure with a count, instead of the first one
 *
 * Any other argument goes to Jest.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const DEFAULT_RUNS = 1_000;
const REPORT_DIR = join(__dirname, '..', 'node_modules', '.cache', 'model-endpoint', 'fuzz');

interface SuiteReport {
  readonly suite: string;
  readonly seed: number;
  readonly properties: Record<string, Record<string, number>>;
}

function main(): number {
  const { values, tokens } = parseArgs({
    options: {
      runs: { type: 'string' },
      seed: { type: 'string' },
      path: { type: 'string' },
      survey: { type: 'boolean', default: false },
    },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const runs = integer('--runs', values.runs ?? String(DEFAULT_RUNS));
  const seed = integer('--seed', values.seed ?? String(Math.floor(Math.random() * 2 ** 31)));
  const known = new Set(['runs', 'seed', 'path', 'survey']);
  const jestArgs = tokens.flatMap((token) => {
    if (token.kind === 'option' && !known.has(token.name))
      return token.value === undefined ? [token.rawName] : [token.rawName, token.value];
    return token.kind === 'positional' ? [token.value] : [];
  });
  console.log(`fuzz: seed ${seed}, ${runs} runs per property${values.path ? `, replaying path ${values.path}` : ''}`);
  rmSync(REPORT_DIR, { recursive: true, force: true });
  const started = performance.now();
  const jest = spawnSync('npx', ['jest', 'test/fuzz', ...jestArgs], {
    stdio: 'inherit',
    env: {
      ...process.env,
      FUZZ_RUNS: String(runs),
      FUZZ_SEED: String(seed),
      FUZZ_REPORT_DIR: REPORT_DIR,
      ...(typeof values.path === 'string' && { FUZZ_PATH: values.path }),
      ...(values.survey === true && { FUZZ_SURVEY: '1' }),
    },
  });
  printTotals(seed, (performance.now() - started) / 1000);
  if (jest.status !== 0) {
    console.log(
      `fuzz: a property failed. Replay it with: npm run fuzz -- --seed <seed> --path "<path>" -t "<property>" ` +
        "(seed and path from its report above); add its counterexample to the property's examples once understood",
    );
  }
  return jest.status ?? 1;
}

function integer(option: string, text: string | boolean): number {
  const value = Number(text);
  if (typeof text !== 'string' || !Number.isSafeInteger(value) || value < 0) {
    throw new Error(`${option} must be a non-negative integer, got ${JSON.stringify(text)}`);
  }
  return value;
}

function printTotals(seed: number, seconds: number): void {
  if (!existsSync(REPORT_DIR)) return;
  const totals = new Map<string, number>();
  let requests = 0;
  for (const file of readdirSync(REPORT_DIR).filter((name) => name.endsWith('.json'))) {
    const report = JSON.parse(readFileSync(join(REPORT_DIR, file), 'utf8')) as SuiteReport;
    for (const counts of Object.values(report.properties)) {
      for (const [status, count] of Object.entries(counts)) {
        totals.set(status, (totals.get(status) ?? 0) + count);
        requests += count;
      }
    }
  }
  const serverErrors = [...totals]
    .filter(([status]) => /^5\d\d$/.test(status))
    .reduce((sum, [, count]) => sum + count, 0);
  const byStatus = [...totals].sort(([a], [b]) => a.localeCompare(b)).map(([status, count]) => `${status}: ${count}`);
  console.log(
    `\nfuzz total: ${requests} requests in ${seconds.toFixed(0)} s (seed ${seed}), ${[...byStatus, `5xx: ${serverErrors}`].join(', ')}`,
  );
}

process.exitCode = main();
