import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { goldenMismatch, type WireTensor } from '../../contract/golden-set';
import { serveBundles } from '../../scripts/export-web/static-server';
import { launchChromium } from '../support/chromium';
import type { DemoModelName } from '../support/demo-models';
import {
  askTwin,
  bundlesFolder,
  exportDemoBundles,
  type HeldOutRequest,
  mnistHeldOut,
  penguinsHeldOut,
  startTwin,
} from './support/demo-bundles';

// The exported bundles in a real headless Chromium, served by a static server on loopback as any web host would
// serve them, with /v2 passed to the local twin for the endpoint fallback. Screenshots go to test-artifacts/web/.

const ARTIFACTS = path.join(__dirname, '..', '..', 'test-artifacts', 'web');
/** As in the Node test: the golden sets' tolerance for onnxruntime-web's floats against onnxruntime-node's. */
const FLOAT_TOLERANCE = { absolute: 1e-5, relative: 1e-4 };

let twin: Awaited<ReturnType<typeof startTwin>>;
let host: { server: Server; url: string };
let browser: Browser;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  twin = await startTwin();
  const root = bundlesFolder();
  host = await serveBundles(root, twin.url);
  // The bundles ask the host they are served from, which passes /v2 to the twin: same origin, no CORS needed.
  await exportDemoBundles(root, host.url);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  host?.server.closeAllConnections();
  host?.server.close();
  await twin?.stop();
});

/** Opens the bundle's example page and waits until it says where its answers come from. */
async function openExample(name: DemoModelName, options: { withoutWebAssembly?: boolean } = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
  // As in a browser whose policy turns WebAssembly off (Safari's Lockdown Mode, Edge's enhanced security).
  if (options.withoutWebAssembly) await context.addInitScript('delete globalThis.WebAssembly');
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${host.url}/${name}/index.html`);
  await page.waitForFunction("document.getElementById('status').textContent.startsWith('answers from')");
  expect(errors).toEqual([]);
  return page;
}

/** Types the request into the example page, presses Run and returns the answer the page shows. */
async function runOnExample(page: Page, request: unknown): Promise<{ outputs: WireTensor[] }> {
  await page.fill('#request', JSON.stringify(request));
  await page.click('#run');
  await page.waitForFunction("document.getElementById('answer').dataset.done === '1'");
  return JSON.parse((await page.textContent('#answer')) ?? '') as { outputs: WireTensor[] };
}

/**
 * Calls the bundle's module, as imported by the page itself, with each request body; returns each answer, or the
 * error's name, status and message. Source text rather than a function: the test's compiler would rewrite a dynamic
 * import inside a function into a require() that the page does not have.
 */
function inferInPage(page: Page, requests: readonly unknown[]): Promise<unknown[]> {
  return page.evaluate(`(async (bodies) => {
    const bundle = await import('./model-endpoint.js');
    const answers = [];
    for (const body of bodies) {
      answers.push(await bundle.infer(body).catch((error) => ({ name: error.name, status: error.status, message: error.message })));
    }
    return answers;
  })(${JSON.stringify(requests)})`);
}

async function expectTwinAnswers(name: DemoModelName, rows: readonly HeldOutRequest[], answers: readonly unknown[]) {
  for (const [index, row] of rows.entries()) {
    const server = await askTwin(twin.url, name, row.request);
    expect(
      goldenMismatch(
        (server.body as { outputs: WireTensor[] }).outputs,
        (answers[index] as { outputs?: unknown }).outputs,
        FLOAT_TOLERANCE,
      ),
    ).toBeUndefined();
  }
}

const label = (answer: { outputs: WireTensor[] }) => answer.outputs.find((output) => output.name === 'label')?.data[0];

describe('an exported bundle in headless Chromium', () => {
  it('runs mnist on the device: the example page labels a held-out digit right, and held-out digits answer as the twin does', async () => {
    const page = await openExample('mnist');
    expect(await page.textContent('#status')).toBe('answers from the device');
    const digits = mnistHeldOut(97);
    const seven = digits.find((digit) => digit.label === 7) ?? digits[0];
    expect(label(await runOnExample(page, seven.request))).toBe(seven.label);
    await page.screenshot({ path: path.join(ARTIFACTS, 'web-bundle-mnist.png'), fullPage: true });
    await expectTwinAnswers(
      'mnist',
      digits,
      await inferInPage(
        page,
        digits.map((digit) => digit.request),
      ),
    );
    await page.context().close();
  });

  it("runs penguins' tree ensemble on the device: the example page names a held-out penguin's species, and every held-out penguin answers as the twin does", async () => {
    const page = await openExample('penguins');
    expect(await page.textContent('#status')).toBe('answers from the device');
    const penguins = penguinsHeldOut();
    const gentoo = penguins.find((penguin) => penguin.label === 'Gentoo') ?? penguins[0];
    expect(label(await runOnExample(page, gentoo.request))).toBe('Gentoo');
    await page.screenshot({ path: path.join(ARTIFACTS, 'web-bundle-penguins.png'), fullPage: true });
    await expectTwinAnswers(
      'penguins',
      penguins,
      await inferInPage(
        page,
        penguins.map((penguin) => penguin.request),
      ),
    );
    await page.context().close();
  });

  it('answers penguins from the endpoint when the browser has no WebAssembly, with the same answers and refusals as the API', async () => {
    const page = await openExample('penguins', { withoutWebAssembly: true });
    expect(await page.textContent('#status')).toBe('answers from the endpoint (this runtime has no WebAssembly)');
    const chinstrap = penguinsHeldOut().find((penguin) => penguin.label === 'Chinstrap');
    expect(chinstrap).toBeDefined();
    const answer = await runOnExample(page, chinstrap?.request);
    expect(answer).toEqual((await askTwin(twin.url, 'penguins', chinstrap?.request)).body);
    expect(label(answer)).toBe('Chinstrap');
    await page.screenshot({ path: path.join(ARTIFACTS, 'web-bundle-penguins-fallback.png'), fullPage: true });

    const short = { inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3] }] };
    const refused = await inferInPage(page, [short]);
    const server = await askTwin(twin.url, 'penguins', short);
    expect(refused).toEqual([
      {
        name: 'EdgeInferenceError',
        status: 400,
        message: (server.body as { error: string }).error,
      },
    ]);
    await page.context().close();
  });
});
