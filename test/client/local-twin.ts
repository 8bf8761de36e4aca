import type { AddressInfo } from 'node:net';
import { serveModels } from '../../lambda/local-server';
import { modelSourcesFromFolder } from '../../lambda/model/model-source';
import { DEMO_MODELS } from '../support/demo-models';

/** The local twin serving the demo models on a free loopback port, as `npm start` does. */
export async function startDemoTwin(): Promise<{ url: string; stop: () => Promise<void> }> {
  const { server, registry } = await serveModels(
    modelSourcesFromFolder(DEMO_MODELS),
    { port: 0, host: '127.0.0.1', logRequests: false },
    () => undefined,
  );
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await registry.release();
    },
  };
}
