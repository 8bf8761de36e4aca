// Before the runtime's observability loads: its metric lines and INFO logs are for Lambda, not for this console.
import '../../lambda/local/local-defaults';
import { DEMO_MODEL_FIXTURES } from './model-files';
import { trainMnist } from './train-mnist';
import { trainPenguins } from './train-penguins';

async function main(): Promise<void> {
  for (const [name, train] of [
    ['penguins', trainPenguins],
    ['mnist', trainMnist],
  ] as const) {
    // Training mnist takes most of the run; a line before each model says the script is working, not stuck.
    console.log(`${name}: training ...`);
    const started = performance.now();
    const result = await train();
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(
      `${name}: held-out accuracy ${result.accuracy.toFixed(4)} on ${result.heldOutRows} rows, ` +
        `${result.bytes} bytes, golden set of ${result.goldenCases} cases, ${seconds} s -> ${result.folder}`,
    );
  }
  console.log(`the same files, byte for byte -> ${DEMO_MODEL_FIXTURES} (what tests and benchmarks use)`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
