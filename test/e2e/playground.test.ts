import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { type GoldenCase, parseGoldenSet } from '../../contract/golden-set';
import { serveModels } from '../../lambda/local-server';
import type { ModelRegistry } from '../../lambda/model/model-registry';
import { modelSourcesFromFolder } from '../../lambda/model/model-source';
import { launchChromium } from '../support/chromium';
import { DEMO_MODELS, type DemoModelName } from '../support/demo-models';

// The playground in a real headless Chromium, against the local twin on loopback (in process: the page as npm start
// serves it from its bundle is checked in local-server.test.ts): the penguins form and the MNIST drawing pad give the
// answers the golden sets hold for the held-out rows.
const ARTIFACTS = path.join(__dirname, '..', '..', 'test-artifacts', 'playground');

function heldOutRows(model: DemoModelName): GoldenCase[] {
  const file = path.join(DEMO_MODELS, model, '1', 'golden.json');
  // One row per case: the batch case is for the API, a form sends one row.
  return parseGoldenSet(readFileSync(file, 'utf8'), file).cases.filter((c) => c.request.inputs[0].shape[0] === 1);
}

/**
 * The held-out rows the model answers with confidence (its top probability at least this). A digit it is unsure of
 * (row 750 of the MNIST golden set: 38 % "7", 35 % "3") flips with any redrawing, even with its own ink thresholded.
 */
const CONFIDENT = 0.9;

function confident(goldenCase: GoldenCase): boolean {
  const probabilities = goldenCase.expected.find((output) => output.name === 'probabilities');
  return probabilities !== undefined && Math.max(...(probabilities.data as number[])) >= CONFIDENT;
}

function expectedLabel(goldenCase: GoldenCase): string {
  const label = goldenCase.expected.find((output) => output.name === 'label');
  if (label === undefined) throw new Error(`golden case ${goldenCase.name} has no "label" output`);
  return String(label.data[0]);
}

/**
 * Draws a digit's ink on the pad as a person would with a mouse: one stroke along each run of inked pixels of each
 * row, at the pad's scale. The pad's brush is wider than a row, so the strokes merge into solid ink.
 */
async function drawDigit(page: Page, pixels: readonly number[]): Promise<void> {
  const pad = page.locator('article[data-model="mnist"] canvas');
  const box = await pad.boundingBox();
  if (box === null) throw new Error('the drawing pad is not on screen');
  const cell = box.width / 28;
  const at = (column: number) => box.x + (column + 0.5) * cell;
  for (let row = 0; row < 28; row++) {
    const y = box.y + (row + 0.5) * cell;
    let column = 0;
    while (column < 28) {
      if (pixels[row * 28 + column] < 0.5) {
        column += 1;
        continue;
      }
      const start = column;
      while (column < 28 && pixels[row * 28 + column] >= 0.5) column += 1;
      await page.mouse.move(at(start), y);
      await page.mouse.down();
      await page.mouse.move(at(column - 1), y, { steps: 3 });
      await page.mouse.up();
    }
  }
}

describe('the playground in headless Chromium', () => {
  let server: Server;
  let registry: ModelRegistry;
  let baseUrl: string;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const elsewhere: string[] = [];

  beforeAll(async () => {
    const options = { port: 0, host: '127.0.0.1', logRequests: false };
    ({ server, registry } = await serveModels(modelSourcesFromFolder(DEMO_MODELS), options, () => undefined));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    // Script errors and content security policy violations show as console errors.
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('request', (request) => {
      if (!request.url().startsWith(`${baseUrl}/`)) elsewhere.push(request.url());
    });
    await page.goto(`${baseUrl}/`);
  });

  afterAll(async () => {
    await browser?.close();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await registry?.release();
  });

  it('lists both demo models with their descriptions and versions', async () => {
    await page.locator('article.model').first().waitFor();
    expect(await page.locator('article.model h2').allTextContents()).toEqual(['mnist', 'penguins']);
    const penguins = page.locator('article[data-model="penguins"]');
    expect(await penguins.locator('.description').textContent()).toContain('Palmer penguin');
    expect(await penguins.locator('.versions').textContent()).toBe('version 1');
  });

  it('predicts the species of every held-out penguin in the golden set from the named feature fields', async () => {
    const card = page.locator('article[data-model="penguins"]');
    const features = ['bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'body_mass_g'];
    const rows = heldOutRows('penguins');
    let answered = 0;
    expect(new Set(rows.map(expectedLabel))).toEqual(new Set(['Adelie', 'Chinstrap', 'Gentoo']));
    for (const row of rows) {
      const values = row.request.inputs[0].data as number[];
      // As a person types them: the float32 values of the golden set, to the precision they were measured in.
      for (const [index, feature] of features.entries()) {
        await card.locator(`input[name="${feature}"]`).fill(String(Number(values[index].toPrecision(6))));
      }
      await card.locator('button[type="submit"]').click();
      answered += 1;
      await card.locator(`.answer[data-answered="${answered}"]`).waitFor();
      expect(await card.locator('[data-output="label"] .answer-value').textContent()).toBe(expectedLabel(row));
    }
    // The probabilities as bars, one per species, the winner first.
    expect(await card.locator('[data-output="probabilities"] li').count()).toBe(3);
    const last = rows[rows.length - 1];
    expect(await card.locator('[data-output="probabilities"] li .label').first().textContent()).toBe(
      expectedLabel(last),
    );
    await card.screenshot({ path: path.join(ARTIFACTS, 'penguins.png') });
  });

  it('recognises each held-out digit of the golden set that the model is sure of, drawn on the pad with the mouse', async () => {
    const card = page.locator('article[data-model="mnist"]');
    const rows = heldOutRows('mnist').filter(confident);
    let answered = 0;
    expect(rows.map(expectedLabel).sort()).toEqual(['0', '1', '2', '4', '6', '7', '8']);
    for (const row of rows) {
      await card.locator('button.clear').click();
      await drawDigit(page, row.request.inputs[0].data as number[]);
      await card.locator('button[type="submit"]').click();
      answered += 1;
      await card.locator(`.answer[data-answered="${answered}"]`).waitFor();
      expect({ row: row.name, label: await card.locator('[data-output="label"] .answer-value').textContent() }).toEqual(
        {
          row: row.name,
          label: expectedLabel(row),
        },
      );
    }
    await card.screenshot({ path: path.join(ARTIFACTS, 'mnist.png') });
  });

  it('charts the latency of every request it sent, and loads nothing from anywhere else', async () => {
    const sent = heldOutRows('penguins').length + heldOutRows('mnist').filter(confident).length;
    expect(await page.locator('#latency-chart rect.latency-bar').count()).toBe(Math.min(sent, 40));
    expect(await page.locator('#latency-summary').textContent()).toMatch(/^Last: mnist in \d+\.\d ms\. Median/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'page.png'), fullPage: true });
    expect(elsewhere).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('says what to do when the pad is blank, without calling the API', async () => {
    const card = page.locator('article[data-model="mnist"]');
    const bars = await page.locator('#latency-chart rect.latency-bar').count();
    await card.locator('button.clear').click();
    await card.locator('button[type="submit"]').click();
    expect(await card.locator('.answer .error').textContent()).toBe('Draw something on the pad first.');
    expect(await page.locator('#latency-chart rect.latency-bar').count()).toBe(bars);
  });
});
