// `npm run bench:web`: bundle sizes and in-browser latency of the exported demo models against the local twin.
// Before the runtime's observability loads: its metric lines and INFO logs are for Lambda, not for this console.
import '../../lambda/local/local-defaults';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { serveModels } from '../../lambda/local-server';
import { modelSourcesFromFolder } from '../../lambda/model/model-source';
import { launchChromium } from '../../test/support/chromium';
import { loadMnistSplit } from '../train/mnist-data';
import { DEMO_MODEL_FIXTURES } from '../train/model-files';
import { loadPenguinsSplit } from '../train/penguins-data';
import { exportWeb } from './export-web';
import { serveBundles } from './static-server';

interface Timing {
  readonly median: number;
  readonly p95: number;
}

const quantile = (sorted: readonly number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

function summarize(samples: readonly number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: quantile(sorted, 0.5), p95: quantile(sorted, 0.95) };
}

/** Times sequential calls in the page, after `warmup` untimed ones: on the device, or over HTTP to /v2. */
async function timeInPage(page: Page, model: string, requests: unknown[], how: 'device' | 'twin'): Promise<number[]> {
  return page.evaluate(`(async ({ model, requests, how }) => {
    const bundle = await import('./model-endpoint.js');
    const call = how === 'device'
      ? (body) => bundle.infer(body)
      : (body) => fetch('/v2/models/' + model + '/versions/1/infer', {
          method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
        }).then((response) => response.json());
    for (const body of requests.slice(0, 20)) await call(body);
    // Per call, averaged over groups of ten: a page's clock ticks in 0.1 ms steps, coarser than one call on the device.
    const samples = [];
    for (let group = 0; group + 10 <= requests.length; group += 10) {
      const started = performance.now();
      for (const body of requests.slice(group, group + 10)) await call(body);
      samples.push((performance.now() - started) / 10);
    }
    return samples;
  })(${JSON.stringify({ model, requests, how })})`);
}

/** From a fresh page to the first answer: module, WebAssembly compile, model load and one inference. */
async function timeFirstAnswer(page: Page, request: unknown): Promise<number> {
  return page.evaluate(`(async (body) => {
    const started = performance.now();
    const bundle = await import('./model-endpoint.js');
    await bundle.infer(body);
    return performance.now() - started;
  })(${JSON.stringify(request)})`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { requests: { type: 'string', default: '200' } } });
  const count = Number(values.requests);
  const penguins = loadPenguinsSplit().heldOut.features;
  const mnist = loadMnistSplit().heldOut;
  const oneRow = (name: string, row: readonly number[]) => ({
    inputs: [{ name, datatype: 'FP32', shape: [1, row.length], data: [...row] }],
  });
  const requests: Record<'penguins' | 'mnist', unknown[]> = {
    penguins: Array.from({ length: count }, (_, i) => oneRow('features', penguins[i % penguins.length])),
    mnist: Array.from({ length: count }, (_, i) =>
      oneRow('pixels', Array.from(mnist.pixels.subarray((i % mnist.count) * 784, ((i % mnist.count) + 1) * 784))),
    ),
  };

  const root = mkdtempSync(path.join(tmpdir(), 'bench-web-'));
  const { server: twin, registry } = await serveModels(
    modelSourcesFromFolder(DEMO_MODEL_FIXTURES),
    { port: 0, host: '127.0.0.1', logRequests: false },
    () => undefined,
  );
  const twinUrl = `http://127.0.0.1:${(twin.address() as AddressInfo).port}`;
  const host = await serveBundles(root, twinUrl);
  const browser = await launchChromium();
  try {
    console.log(
      `${count} sequential one-row requests per model after 20 warm-up ones, ms per call averaged over groups of 10; Chromium ${browser.version()}`,
    );
    for (const model of ['penguins', 'mnist'] as const) {
      const bundle = await exportWeb(
        [model, '--models', DEMO_MODEL_FIXTURES, '--out', path.join(root, model)],
        () => {},
      );
      const sizes = (bundle?.files ?? []).map(({ file, bytes }) => `${file} ${bytes}`).join(', ');
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${host.url}/${model}/index.html`);
      const first = await timeFirstAnswer(page, requests[model][0]);
      const device = summarize(await timeInPage(page, model, requests[model], 'device'));
      const overHttp = summarize(await timeInPage(page, model, requests[model], 'twin'));
      const fromNode: number[] = [];
      for (const body of requests[model]) {
        const started = performance.now();
        await (
          await fetch(`${twinUrl}/v2/models/${model}/versions/1/infer`, { method: 'POST', body: JSON.stringify(body) })
        ).json();
        fromNode.push(performance.now() - started);
      }
      const groupsOfTen = Array.from(
        { length: Math.floor(fromNode.length / 10) },
        (_, group) => fromNode.slice(group * 10, group * 10 + 10).reduce((sum, ms) => sum + ms, 0) / 10,
      );
      const node = summarize(groupsOfTen);
      await context.close();
      console.log(`\n${model}: bytes ${sizes}`);
      console.log(
        `  first answer in a fresh page (import, wasm compile, model load, 1 inference): ${first.toFixed(1)} ms`,
      );
      console.log(
        `  in the browser, on the device:            median ${device.median.toFixed(2)} ms, p95 ${device.p95.toFixed(2)} ms`,
      );
      console.log(
        `  in the browser, the twin over HTTP:       median ${overHttp.median.toFixed(2)} ms, p95 ${overHttp.p95.toFixed(2)} ms`,
      );
      console.log(
        `  from Node, the twin over HTTP:            median ${node.median.toFixed(2)} ms, p95 ${node.p95.toFixed(2)} ms`,
      );
      console.log(`  twin (browser) / device median ratio:     ${(overHttp.median / device.median).toFixed(0)}`);
    }
  } finally {
    await browser.close();
    host.server.closeAllConnections();
    host.server.close();
    twin.closeAllConnections();
    twin.close();
    await registry.release();
    rmSync(root, { recursive: true, force: true });
  }
}

void main().catch((error: Error) => {
  console.error(`npm run bench:web: ${error.message}`);
  process.exitCode = 1;
});
