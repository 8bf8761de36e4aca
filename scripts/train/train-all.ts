import { trainMnist } from './train-mnist';
import { trainPenguins } from './train-penguins';

async function main(): Promise<void> {
  for (const [name, train] of [
    ['penguins', trainPenguins],
    ['mnist', trainMnist],
  ] as const) {
    const started = performance.now();
    const result = await train();
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(
      `${name}: held-out accuracy ${result.accuracy.toFixed(4)} on ${result.heldOutRows} rows, ` +
        `${result.bytes} bytes, ${seconds} s -> ${result.folder}`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
