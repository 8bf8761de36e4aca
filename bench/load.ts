/**
 * Loads a running server with one bench request for a fixed time, for profiling outside `npm run bench`:
 *
 *   npx tsx bench/load.ts http://127.0.0.1:8080 penguins 1 1 6     (url, model, batch, connections, seconds)
 *
 * Expects the bench repository (bench/models, written by `npm run bench`) to be the one the server serves.
 */
import { benchCase, modelCases } from './cases';
import { benchConfig } from './config';
import { loadRun } from './http';

async function main(): Promise<void> {
  const [url, model, batch = '1', connections = '1', seconds = '5'] = process.argv.slice(2);
  const found = modelCases(benchConfig(process.argv)).find((candidate) => candidate.model === model);
  if (url === undefined || found === undefined) {
    throw new Error('usage: bench/load.ts <url> <penguins|mnist|wide> [batch] [connections] [seconds] [--quick]');
  }
  const run = await loadRun(url, benchCase(found, Number(batch)), Number(connections), Number(seconds));
  console.log(
    `${run.requestsPerSecond.toFixed(0)} req/s, p50 ${run.p50Ms.toFixed(2)} ms, p99 ${run.p99Ms.toFixed(2)} ms`,
  );
}

void main();
