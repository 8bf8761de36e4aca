import './sagemaker/container-defaults';
import { isMainThread } from 'node:worker_threads';
import type { PlaceModel } from './model/model-backend';
import { serverPlacement } from './model/server-placement';
import { workerEntry } from './model/worker-model';
import { serveModelsInThisThread } from './model/worker-thread';
import { type SageMakerContainer, startSageMakerContainer } from './sagemaker/container';

/**
 * The shared worker pool, with a small model's cheapest runs on the event loop (server-placement.ts): an endpoint
 * sends concurrent requests to one container, so a long inference must not stall the event loop that answers /ping.
 * The pool's worker threads run this very file (a single-file bundle in the image), which then serves models instead
 * of starting a server. `starting` holds until the model has loaded once: a reload after that (a worker's death)
 * happens while the container serves, and stays in the pool.
 */
function placement(entryFile: string, loadedOnce: () => boolean): PlaceModel {
  return serverPlacement(() => !loadedOnce(), { workerScript: workerEntry(entryFile) });
}

/** `<entry> serve`, as SageMaker starts an inference container; stops cleanly on SIGTERM. */
async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  if (argv[0] !== 'serve') {
    console.error(`usage: sagemaker-server serve (SageMaker starts inference containers so); got "${argv.join(' ')}"`);
    process.exit(2);
  }
  let container: SageMakerContainer;
  try {
    let ready = false;
    const loadedOnce = () => {
      ready ||= container?.registry.allLoaded === true;
      return ready;
    };
    container = await startSageMakerContainer(placement(process.argv[1] ?? '', loadedOnce));
  } catch (error) {
    console.error(`model-endpoint SageMaker container cannot start: ${(error as Error).message}`);
    process.exit(1);
  }
  console.log(`model-endpoint SageMaker container listening on port ${container.port}`);
  const shutdown = () => {
    container.server.close(() => void container.registry.release().then(() => process.exit(0)));
    container.server.closeIdleConnections();
    setTimeout(() => process.exit(0), 5_000).unref();
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

// No `require.main === module` test: the image runs this file as an ES module bundle, where `module` does not exist.
if (isMainThread) void main();
else serveModelsInThisThread();
