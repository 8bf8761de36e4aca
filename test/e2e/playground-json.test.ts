import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { serveModels } from '../../lambda/local-server';
import type { ModelRegistry } from '../../lambda/model/model-registry';
import { modelSourcesFromFolder } from '../../lambda/model/model-source';
import { batchTensor, DataType, encodeModel, ONNX_OPSET } from '../../scripts/train/onnx-graph';
import { writeRepository } from '../fixtures/test-models';
import { launchChromium } from '../support/chromium';

// A model with two inputs gets the JSON form: in headless Chromium against the twin (in process, on loopback).
const ARTIFACTS = path.join(__dirname, '..', '..', 'test-artifacts', 'playground');

/** sum = a + b, each FP32 [batch, 3]. */
function addModel(): Uint8Array {
  return encodeModel({
    name: 'add',
    docString: 'test fixture: two FP32 inputs added',
    opsets: [ONNX_OPSET],
    nodes: [{ opType: 'Add', input: ['a', 'b'], output: ['sum'] }],
    inputs: [batchTensor('a', DataType.FLOAT, 3), batchTensor('b', DataType.FLOAT, 3)],
    outputs: [batchTensor('sum', DataType.FLOAT, 3)],
  });
}

describe('the playground JSON form in headless Chromium', () => {
  let server: Server;
  let registry: ModelRegistry;
  let browser: Browser;
  let page: Page;
  let answered = 0;

  beforeAll(async () => {
    const repository = writeRepository({ 'add/1': addModel() });
    const options = { port: 0, host: '127.0.0.1', logRequests: false };
    ({ server, registry } = await serveModels(modelSourcesFromFolder(repository), options, () => undefined));
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 900, height: 800 } });
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await page.locator('article[data-model="add"] textarea').waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await registry?.release();
  });

  async function send(): Promise<void> {
    await page.locator('article[data-model="add"] button[type="submit"]').click();
    answered += 1;
    await page.locator(`article[data-model="add"] .answer[data-answered="${answered}"]`).waitFor();
  }

  const answer = () => page.locator('article[data-model="add"] .answer').textContent();

  it('starts from an example request with every input, one row of zeros each', async () => {
    const example = JSON.parse(await page.locator('article[data-model="add"] textarea').inputValue());
    expect(example).toEqual([
      { name: 'a', datatype: 'FP32', shape: [1, 3], data: [0, 0, 0] },
      { name: 'b', datatype: 'FP32', shape: [1, 3], data: [0, 0, 0] },
    ]);
  });

  it('sends the inputs as edited and shows the output', async () => {
    await page.locator('article[data-model="add"] textarea').fill(
      JSON.stringify([
        { name: 'a', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] },
        { name: 'b', datatype: 'FP32', shape: [1, 3], data: [4, 5, 6] },
      ]),
    );
    await send();
    expect(await answer()).toContain('sum [1, 3]: 5, 7, 9');
  });

  it('takes a whole request body loaded from a file', async () => {
    const request = {
      inputs: [
        { name: 'a', datatype: 'FP32', shape: [2, 3], data: [1, 1, 1, 2, 2, 2] },
        { name: 'b', datatype: 'FP32', shape: [2, 3], data: [0, 1, 2, 0, 1, 2] },
      ],
    };
    await page.locator('article[data-model="add"] input[type="file"]').setInputFiles({
      name: 'request.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify(request)),
    });
    // The file is read asynchronously: wait until its text is in the form.
    const textarea = page.locator('article[data-model="add"] textarea');
    for (let tries = 0; tries < 100 && (await textarea.inputValue()) !== JSON.stringify(request); tries++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(JSON.parse(await textarea.inputValue())).toEqual(request);
    await send();
    expect(await answer()).toContain('sum [2, 3]: 1, 2, 3, 2, 3, 4');
    await page.locator('article[data-model="add"]').screenshot({ path: path.join(ARTIFACTS, 'json-form.png') });
  });

  it("shows the server's message for a request it refuses", async () => {
    await page
      .locator('article[data-model="add"] textarea')
      .fill(JSON.stringify([{ name: 'a', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }]));
    await send();
    expect(await answer()).toMatch(/^400: .*"b"/);
  });

  it('says so when the inputs are not JSON, without calling the API', async () => {
    await page.locator('article[data-model="add"] textarea').fill('[{"name": "a",');
    await page.locator('article[data-model="add"] button[type="submit"]').click();
    expect(await answer()).toMatch(/^The inputs are not valid JSON: /);
  });
});
