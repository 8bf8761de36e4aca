import autocannon from 'autocannon';
import type { BenchCase } from './cases';
import type { ServerProcess } from './children';
import { processCpu } from './process-cpu';
import { quantile } from './stats';

export interface LoadRun {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  /** The server's CPU time per answered request, in µs, all threads and main thread (Linux only). */
  readonly cpuPerRequestUs?: { readonly process: number; readonly mainThread: number };
}

/**
 * One bounded autocannon run (duration and connections fixed) with one prepared request. Latencies are taken from
 * autocannon's per-response events rather than its histogram, which rounds to whole milliseconds: too coarse for
 * sub-millisecond models. Fails on any error or non-2xx answer, so a broken server cannot look fast.
 */
export function loadRun(
  baseUrl: string,
  benchCase: BenchCase,
  connections: number,
  durationSeconds: number,
): Promise<LoadRun> {
  const latencies: number[] = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${baseUrl}${benchCase.path}`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: benchCase.body,
        connections,
        duration: durationSeconds,
        // autocannon only notices the end of `duration` at its next sample tick (1 s by default), which would
        // stretch a short quick-mode run to a whole second.
        sampleInt: 100,
        timeout: 30,
      },
      (error, result) => {
        if (error !== null) return reject(error);
        if (result.errors > 0 || result.non2xx > 0 || result.timeouts > 0) {
          return reject(
            new Error(
              `${baseUrl} ${benchCase.label}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx answers`,
            ),
          );
        }
        resolve({
          requestsPerSecond: latencies.length / result.duration,
          p50Ms: quantile(latencies, 0.5),
          p99Ms: quantile(latencies, 0.99),
          requests: latencies.length,
        });
      },
    );
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTimeMs: number) => {
      if (statusCode < 300) latencies.push(responseTimeMs);
    });
  });
}

export interface HttpComparison {
  readonly benchCase: BenchCase;
  readonly connections: number;
  readonly twin: LoadRun[];
  readonly naive: LoadRun[];
  /** twin req/s over naive req/s, one per round. */
  readonly ratios: number[];
}

/** A server under test: where it listens, its process (for its CPU time), and its path for a case's request. */
export interface HttpSubject extends Pick<ServerProcess, 'url' | 'child'> {
  /** @default - the case's own path (the protocol's infer path) */
  readonly pathOf?: (benchCase: BenchCase) => string;
}

/**
 * A server under test (the local twin, the SageMaker container) against the naive server, same requests,
 * alternating every run and swapping who goes first each round, so that a noisy neighbour or thermal drift hits
 * both alike.
 */
export async function compareHttp(
  twin: HttpSubject,
  naive: ServerProcess,
  cases: readonly BenchCase[],
  connectionCounts: readonly number[],
  rounds: number,
  durationSeconds: number,
  progress: (line: string) => void,
): Promise<HttpComparison[]> {
  const comparisons = cases.flatMap((benchCase) =>
    connectionCounts.map((connections) => ({ benchCase, connections, twin: [] as LoadRun[], naive: [] as LoadRun[] })),
  );
  const requestTo = (server: HttpSubject, benchCase: BenchCase): BenchCase =>
    server.pathOf === undefined ? benchCase : { ...benchCase, path: server.pathOf(benchCase) };
  // Warm-up: JIT, ONNX Runtime's first-run allocations and TCP connection setup stay out of the numbers.
  for (const { benchCase } of comparisons) {
    for (const server of [twin, naive]) {
      await loadRun(server.url, requestTo(server, benchCase), 1, Math.min(0.5, durationSeconds * 0.7));
    }
  }
  for (let round = 0; round < rounds; round++) {
    for (const comparison of comparisons) {
      const order = round % 2 === 0 ? (['twin', 'naive'] as const) : (['naive', 'twin'] as const);
      for (const which of order) {
        const server = which === 'twin' ? twin : naive;
        const before = processCpu(server.child.pid);
        const request = requestTo(server, comparison.benchCase);
        const run = await loadRun(server.url, request, comparison.connections, durationSeconds);
        const after = processCpu(server.child.pid);
        comparison[which].push(
          before === undefined || after === undefined
            ? run
            : {
                ...run,
                cpuPerRequestUs: {
                  process: ((after.processMs - before.processMs) * 1000) / run.requests,
                  mainThread: ((after.mainThreadMs - before.mainThreadMs) * 1000) / run.requests,
                },
              },
        );
      }
    }
    progress(`http round ${round + 1}/${rounds} done`);
  }
  return comparisons.map((comparison) => ({
    ...comparison,
    ratios: comparison.twin.map((run, index) => run.requestsPerSecond / comparison.naive[index].requestsPerSecond),
  }));
}
