/**
 * What data capture adds to the live path (bench/deferred-work.ts): the handler with capture at rate 1 (every
 * inference writes its capture record, through the same log writer the function uses) against capture off.
 *
 * Part of `npm run bench`; alone: npx tsx bench/capture.ts [--quick]
 */
import './environment';
import { captureLogWriter, withCapture } from '../lambda/monitoring/capture-sampling';
import {
  type DeferredWorkResult,
  deferredWorkBenchSize,
  deferredWorkTable,
  measureDeferredWork,
} from './deferred-work';

export function measureCapture(
  size: { readonly rounds: number; readonly calls: number },
  progress?: (line: string) => void,
): Promise<DeferredWorkResult[]> {
  return measureDeferredWork(
    'capture',
    (off, write) =>
      withCapture(
        off,
        { sampleRate: 1, dropFields: [], hashFields: [], hashSalt: '' },
        { write: captureLogWriter(write), servedVersion: () => '1' },
      ),
    { ...size, seed: 12 },
    progress,
  );
}

export const captureBenchSize = deferredWorkBenchSize;

async function main(): Promise<void> {
  const size = captureBenchSize(process.argv.includes('--quick'));
  const results = await measureCapture(size, (line) => process.stderr.write(`${line}\n`));
  console.log(
    `data capture, rate 1.0 vs off: ${size.rounds} alternating rounds of ${size.calls} calls, node ${process.version}`,
  );
  for (const line of deferredWorkTable(results, 'record')) console.log(line);
}

if (require.main === module) void main().then(() => process.exit());
