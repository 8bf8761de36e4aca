import { parseArgs } from 'node:util';
import type { InferRequestOf, ModelMetadata, ModelTypes } from '../client';
import { ModelEndpointError } from '../client';
import { CONNECTION_OPTIONS, CONNECTION_USAGE, connect } from './connection';
import { histogram, histogramLines, progressBar, summarize } from './latency-histogram';
import { inferRequestOf, readDataArgument } from './request-data';

export const BENCH_USAGE = `Usage: model-endpoint bench <url> <model> [options]

Sends requests to a model with a fixed number in flight and prints throughput,
latency percentiles and a latency histogram. Requests are not retried, so
throttling shows as failures. Give the URL as "stack" to use the deployed
stack's ApiUrl output.

  --data <file|json>   the request (as invoke takes it); default: zeros of the
                       model's input shapes
  --requests <n>       requests to send (default 200)
  --concurrency <c>    requests in flight at once (default 4)
  --version <v>        a model version (default: the highest)
  --binary             binary tensor data both ways
  --json               print the results as JSON
${CONNECTION_USAGE.split('\n').slice(3).join('\n')}`;

export async function bench(
  argv: readonly string[],
  print: (line: string) => void,
  /** Shows a line of progress in place; '' clears it. */
  progress?: (line: string) => void,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      ...CONNECTION_OPTIONS,
      data: { type: 'string' },
      requests: { type: 'string', default: '200' },
      concurrency: { type: 'string', default: '4' },
      version: { type: 'string' },
      binary: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const [url, model, extra] = positionals;
  if (url === undefined || model === undefined || extra !== undefined) {
    throw new Error(`bench takes a URL and a model\n\n${BENCH_USAGE}`);
  }
  const requests = positiveInteger('--requests', values.requests);
  const concurrency = positiveInteger('--concurrency', values.concurrency);
  const { client } = await connect({ ...values, url: url === 'stack' ? undefined : url }, { maxAttempts: 1 });
  const metadata = () => client.modelMetadata(model, values.version);
  const request =
    values.data === undefined ? zeros(await metadata()) : await inferRequestOf(readDataArgument(values.data), metadata);

  const latencies: number[] = [];
  const errors = new Map<string, number>();
  let sent = 0;
  let done = 0;
  const started = performance.now();
  const worker = async () => {
    while (sent < requests) {
      sent++;
      const t0 = performance.now();
      try {
        await client.infer(model, request, { version: values.version, binary: values.binary });
        latencies.push(performance.now() - t0);
      } catch (error) {
        const key =
          error instanceof ModelEndpointError && error.status !== undefined
            ? `status ${error.status}`
            : (error as Error).message;
        errors.set(key, (errors.get(key) ?? 0) + 1);
      }
      done++;
      progress?.(progressBar(done, requests));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, requests) }, worker));
  progress?.('');
  const seconds = (performance.now() - started) / 1000;
  const latency = summarize(latencies);
  const buckets = histogram(latencies);
  const errorCount = requests - latencies.length;
  if (values.json) {
    print(
      JSON.stringify({
        model,
        requests,
        concurrency,
        errors: Object.fromEntries(errors),
        seconds: round(seconds),
        requestsPerSecond: round(latencies.length / seconds),
        latencyMs: Object.fromEntries(Object.entries(latency).map(([k, v]) => [k, round(v)])),
        histogram: buckets.map((b) => ({ fromMs: round(b.fromMs), toMs: round(b.toMs), count: b.count })),
      }),
    );
  } else {
    print(`${model}: ${requests} requests, ${concurrency} in flight, ${errorCount} failed, in ${seconds.toFixed(2)} s`);
    print(`throughput ${(latencies.length / seconds).toFixed(1)} requests/s`);
    for (const [what, count] of errors) print(`  ${count} x ${what}`.slice(0, 80));
    if (latencies.length > 0) {
      const f = (v: number) => v.toFixed(1);
      print(
        `latency ms: min ${f(latency.min)}  p50 ${f(latency.p50)}  p90 ${f(latency.p90)}  p99 ${f(latency.p99)}  max ${f(latency.max)}`,
      );
      for (const line of histogramLines(buckets)) print(line);
    }
  }
  return errorCount === 0 ? 0 : 1;
}

/** One row of zeros for each input (a dynamic dimension becomes 1). */
function zeros(metadata: ModelMetadata): InferRequestOf<ModelTypes> {
  return {
    inputs: metadata.inputs.map((input) => {
      const shape = input.shape.map((dim) => (dim < 0 ? 1 : dim));
      const size = shape.reduce((a, b) => a * b, 1);
      const element = input.datatype === 'BYTES' ? '' : input.datatype === 'BOOL' ? false : 0;
      return { name: input.name, datatype: input.datatype, shape, data: new Array(size).fill(element) };
    }),
  };
}

function positiveInteger(option: string, text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${option} must be a positive integer, got "${text}"`);
  return value;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
