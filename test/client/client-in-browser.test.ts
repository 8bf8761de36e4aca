import * as path from 'node:path';
import { buildSync } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { signRequest } from '../../client';
import { launchChromium } from '../support/chromium';
import { startDemoTwin } from './local-twin';

// The client as a browser runs it: bundled for the browser (no Node.js built-ins may remain), loaded into headless
// Chromium on the twin's origin, calling the twin with fetch and signing with Web Crypto.

const SIGNING = {
  request: {
    method: 'POST',
    url: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod/v2/models/penguins/infer',
    headers: { 'content-type': 'application/json' },
    body: '{"inputs":[]}',
  },
  credentials: {
    accessKeyId: 'AKIDEXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
    sessionToken: 'token',
  },
  date: '2026-12-01T12:00:00Z',
};

let twin: Awaited<ReturnType<typeof startDemoTwin>>;
let browser: Browser;
let page: Page;
let bundleBytes: number;

beforeAll(async () => {
  twin = await startDemoTwin();
  const bundle = buildSync({
    entryPoints: [path.join(__dirname, '..', '..', 'client', 'index.ts')],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    globalName: 'ModelEndpoint',
    // The default credential chain is Node.js only and loaded on demand; a page passes its own credentials.
    external: ['@aws-sdk/client-cloudformation'],
    write: false,
    logLevel: 'silent',
  });
  const code = bundle.outputFiles[0].text;
  bundleBytes = bundle.outputFiles[0].contents.byteLength;
  expect(code).not.toMatch(/require\("node:|from "node:/);
  browser = await launchChromium();
  page = await browser.newPage();
  // The twin's own origin: the page calls the API same-origin, as a page hosted beside the API would.
  await page.goto(`${twin.url}/v2/health/live`);
  await page.addScriptTag({ content: code });
});

afterAll(async () => {
  await browser?.close();
  await twin?.stop();
});

describe('the client in headless Chromium', () => {
  it('bundles for the browser without Node.js built-ins, in under 100 KB', () => {
    expect(bundleBytes).toBeLessThan(100_000);
  });

  it('calls the twin: metadata, and a held-out penguin as JSON and as binary tensor data', async () => {
    const answers = await page.evaluate(async (origin) => {
      const { ModelEndpointClient } = (globalThis as unknown as { ModelEndpoint: typeof import('../../client') })
        .ModelEndpoint;
      const client = new ModelEndpointClient({ url: origin });
      const features = {
        name: 'features',
        datatype: 'FP32' as const,
        shape: [1, 4],
        data: new Float32Array([39.1, 18.7, 181, 3750]),
      };
      const json = await client.infer('penguins', { inputs: [features] });
      const binary = await client.infer('penguins', { inputs: [features] }, { binary: true });
      const error = await client
        .modelMetadata('nope')
        .catch((e: { name: string; status: number }) => [e.name, e.status]);
      return {
        ready: await client.modelReady('mnist'),
        server: (await client.serverMetadata()).name,
        json: json.output('label').data,
        binary: [binary.output('label').data, binary.output('probabilities').data instanceof Float32Array],
        error,
      };
    }, twin.url);
    expect(answers).toEqual({
      ready: true,
      server: 'model-endpoint',
      json: ['Adelie'],
      binary: [['Adelie'], true],
      error: ['ModelEndpointError', 404],
    });
  });

  it('signs with Web Crypto exactly as Node.js signs the same request at the same time', async () => {
    const inBrowser = await page.evaluate(async ({ request, credentials, date }) => {
      const { signRequest } = (globalThis as unknown as { ModelEndpoint: typeof import('../../client') }).ModelEndpoint;
      return signRequest({ ...request, url: new URL(request.url) }, {}, credentials, new Date(date));
    }, SIGNING);
    const inNode = await signRequest(
      { ...SIGNING.request, url: new URL(SIGNING.request.url) },
      {},
      SIGNING.credentials,
      new Date(SIGNING.date),
    );
    expect(inBrowser.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20261201\/eu-west-1\/execute-api\/aws4_request, /,
    );
    expect(inBrowser).toEqual(inNode);
  });
});
