/** How long and how often each part runs: the full suite, or `--quick` (a smoke check for CI, under a minute). */
export interface BenchConfig {
  readonly quick: boolean;
  /** Hidden layer widths of the generated wide MLP: about 50 MB of FP32 weights in full mode. */
  readonly wide: { readonly inputs: number; readonly hidden: readonly number[]; readonly classes: number };
  /** Rounds that alternate raw and handler measurements in process. */
  readonly inProcessRounds: number;
  /** Time budget per case and round for raw and handler loops. */
  readonly inProcessBudgetMs: number;
  /** Rounds that alternate the local twin and the naive server under the same load. */
  readonly httpRounds: number;
  readonly httpDurationSeconds: number;
  readonly httpConnections: readonly number[];
  /** Models whose single-row requests go through the SageMaker container too, in its own HTTP comparison. */
  readonly containerModels: readonly string[];
  readonly coldStartRuns: number;
  /** Fresh processes per package in the imports part. */
  readonly importRounds: number;
  /** Requests per process in the memory part (the 10,000 in full), and processes per configuration. */
  readonly memoryRequests: number;
  readonly memoryRounds: number;
  readonly eventLoopSeconds: number;
  /** Rows per request in the event-loop test: a long inference that would stall a blocked loop visibly. */
  readonly eventLoopBatch: number;
}

export function benchConfig(argv: readonly string[]): BenchConfig {
  const quick = argv.includes('--quick');
  const full: BenchConfig = {
    quick,
    // 1024x4096 + 4096x2048 + 2048x10 weights = 12.6 M floats = 50.4 MB.
    wide: { inputs: 1024, hidden: [4096, 2048], classes: 10 },
    inProcessRounds: 3,
    inProcessBudgetMs: 1000,
    httpRounds: 3,
    httpDurationSeconds: 3,
    httpConnections: [1, 16],
    containerModels: ['penguins', 'mnist'],
    coldStartRuns: 7,
    importRounds: 5,
    memoryRequests: 10_000,
    memoryRounds: 3,
    eventLoopSeconds: 5,
    eventLoopBatch: 64,
  };
  if (!quick) return full;
  return {
    ...full,
    // About 6 MB: the same shape of work at an eighth of the generation and session-creation time.
    wide: { inputs: 512, hidden: [1024, 1024], classes: 10 },
    inProcessRounds: 2,
    inProcessBudgetMs: 100,
    httpRounds: 2,
    httpDurationSeconds: 0.3,
    // One container: each starts its own process (and the first bundles the entry point), seconds in a quick run.
    containerModels: ['penguins'],
    coldStartRuns: 2,
    importRounds: 1,
    memoryRequests: 300,
    memoryRounds: 1,
    eventLoopSeconds: 1,
    eventLoopBatch: 32,
  };
}
