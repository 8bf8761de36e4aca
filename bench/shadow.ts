/**
 * What shadow sampling adds to the live path (bench/deferred-work.ts): the handler with the shadow sample rate at 1.0
 * (every inference writes its sample line) against sampling off.
 *
 * Run: npx tsx bench/shadow.ts [rounds] [calls per round]
 */
import './environment';
import { ShadowEnvironment } from '../contract/environment';
import { withShadowSampling } from '../lambda/shadow/shadow-sampling';
import { deferredWorkTable, measureDeferredWork } from './deferred-work';

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 20);
  const calls = Number(process.argv[3] ?? 200);
  const results = await measureDeferredWork(
    'shadow',
    (off, write) => withShadowSampling(off, { [ShadowEnvironment.sampleRate]: '1' }, { write }),
    { rounds, calls, seed: 11 },
  );
  console.log(
    `shadow sampling, rate 1.0 vs off: ${rounds} alternating rounds of ${calls} calls, node ${process.version}`,
  );
  for (const line of deferredWorkTable(results, 'sample line')) console.log(line);
}

void main().then(() => process.exit());
