import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { WireTensor } from '../../../contract/golden-set';
import { serveModels } from '../../../lambda/local-server';
import type { ModelRegistry } from '../../../lambda/model/model-registry';
import { modelSourcesFromFolder } from '../../../lambda/model/model-source';
import { exportWeb } from '../../../scripts/export-web/export-web';
import type { WebBundle } from '../../../scripts/export-web/write-web-bundle';
import { loadMnistSplit } from '../../../scripts/train/mnist-data';
import { loadPenguinsSplit, PENGUIN_SPECIES } from '../../../scripts/train/penguins-data';
import { DEMO_MODELS, type DemoModelName } from '../../support/demo-models';

/** A new temporary folder for bundles. */
export const bundlesFolder = () => mkdtempSync(path.join(tmpdir(), 'web-bundles-'));

/** Both demo models exported with `npm run export:web`'s own code into one folder, one subfolder each. */
export async function exportDemoBundles(root: string, fallbackUrl?: string): Promise<Record<DemoModelName, WebBundle>> {
  const exportOne = async (name: DemoModelName) => {
    const args = [name, '--models', DEMO_MODELS, '--out', path.join(root, name)];
    const bundle = await exportWeb(
      fallbackUrl === undefined ? args : [...args, '--fallback-url', fallbackUrl],
      () => {},
    );
    if (bundle === undefined) throw new Error(`export of ${name} wrote nothing`);
    return bundle;
  };
  return { penguins: await exportOne('penguins'), mnist: await exportOne('mnist') };
}

/** The local twin serving the demo models on a free loopback port: the server the bundles must agree with. */
export async function startTwin(): Promise<{ url: string; stop(): Promise<void> }> {
  const { server, registry }: { server: Server; registry: ModelRegistry } = await serveModels(
    modelSourcesFromFolder(DEMO_MODELS),
    { port: 0, host: '127.0.0.1', logRequests: false },
    () => undefined,
  );
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await registry.release();
    },
  };
}

/** A held-out row as a one-row inference request, with the label the dataset gives it. */
export interface HeldOutRequest {
  readonly request: { readonly inputs: readonly WireTensor[] };
  readonly label: string | number;
}

const oneRow = (name: string, row: readonly number[]) => ({
  inputs: [{ name, datatype: 'FP32' as const, shape: [1, row.length], data: [...row] }],
});

/** Every held-out penguin. */
export function penguinsHeldOut(): HeldOutRequest[] {
  const { heldOut } = loadPenguinsSplit();
  return heldOut.features.map((row, index) => ({
    request: oneRow('features', row),
    label: PENGUIN_SPECIES[heldOut.species[index]],
  }));
}

/** Every `step`-th held-out digit (the held-out set is ordered by digit, so every digit is there). */
export function mnistHeldOut(step: number): HeldOutRequest[] {
  const { heldOut } = loadMnistSplit();
  const requests: HeldOutRequest[] = [];
  for (let row = 0; row < heldOut.count; row += step) {
    const pixels = Array.from(heldOut.pixels.subarray(row * 784, (row + 1) * 784));
    requests.push({ request: oneRow('pixels', pixels), label: heldOut.digits[row] });
  }
  return requests;
}

/** What run-bundle.mjs prints. */
export interface BundleRun {
  readonly placement: { readonly placement: 'device' | 'endpoint'; readonly reason?: string };
  readonly answers: readonly (
    | { readonly body: { readonly outputs: readonly WireTensor[] } }
    | { readonly error: { readonly name: string; readonly status: number; readonly message: string } }
  )[];
}

/** Runs the bundle in a Node.js child process on these request bodies; `nodeFlags` such as --no-expose-wasm. */
export function runBundleInNode(
  folder: string,
  requests: readonly unknown[],
  options: { readonly fallbackUrl?: string; readonly nodeFlags?: readonly string[] } = {},
): Promise<BundleRun> {
  const args = [
    ...(options.nodeFlags ?? []),
    path.join(__dirname, 'run-bundle.mjs'),
    folder,
    ...(options.fallbackUrl === undefined ? [] : [options.fallbackUrl]),
  ];
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      args,
      { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error !== null) reject(new Error(`the bundle failed under Node: ${error.message}\n${stderr}`));
        else resolve(JSON.parse(stdout) as BundleRun);
      },
    );
    child.stdin?.end(JSON.stringify(requests));
  });
}

/** The twin's answer to a request body: its status and parsed JSON. */
export async function askTwin(
  twinUrl: string,
  model: string,
  body: unknown,
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${twinUrl}/v2/models/${model}/versions/1/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}
