import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serveModels } from '../../lambda/local-server';
import { modelSourcesFromFolder } from '../../lambda/model/model-source';
import { DEMO_MODELS } from '../support/demo-models';

/**
 * The local twin serving the demo models on a free loopback port, as `npm start -- --capture DIR` does: with capture
 * on, so that every route of the contract, the feedback route included, answers as on a captured deployment.
 */
export async function startDemoTwin(): Promise<{ url: string; captureDir: string; stop: () => Promise<void> }> {
  const captureDir = mkdtempSync(path.join(tmpdir(), 'client-twin-capture-'));
  const { server, registry, capture } = await serveModels(
    modelSourcesFromFolder(DEMO_MODELS),
    {
      port: 0,
      host: '127.0.0.1',
      logRequests: false,
      capture: { folder: captureDir, sampleRate: 1, dropFields: [], hashFields: [] },
    },
    () => undefined,
  );
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    captureDir,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await Promise.all([registry.release(), capture?.flush()]);
      rmSync(captureDir, { recursive: true, force: true });
    },
  };
}
