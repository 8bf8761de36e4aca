import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CaptureRecord, FeedbackRecord } from '../../../contract/capture';
import { parseOptions } from '../../../lambda/local/options';
import { type LocalServer, startLocalServer } from '../../../lambda/local-server';
import { binaryRequest, rawBytes } from '../../support/binary-tensor-data';
import { DEMO_MODELS } from '../../support/demo-models';

const ROWS = [
  [39.1, 18.7, 181, 3750],
  [46.5, 13.5, 210, 4550],
];

/** Every file under a folder, as paths relative to it with forward slashes. */
function filesUnder(folder: string): string[] {
  return fs
    .readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .filter((entry) => fs.statSync(path.join(folder, entry)).isFile())
    .map((entry) => entry.split(path.sep).join('/'))
    .sort();
}

const jsonLines = <T>(file: string): T[] =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as T);

describe('npm start -- --capture DIR', () => {
  let folder: string;
  let started: LocalServer;
  let url: string;
  const printed: string[] = [];

  beforeAll(async () => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'capture-'));
    const options = parseOptions(
      ['--port', '0', '--models', DEMO_MODELS, '--capture', folder, '--capture-drop', 'body_mass_g'],
      {},
    );
    if (!('port' in options)) throw new Error('the options asked for help');
    started = await startLocalServer(
      { ...options, logRequests: false },
      (line) => printed.push(line),
      () => undefined,
    );
    url = `http://127.0.0.1:${(started.server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    started.server.close();
    started.server.closeAllConnections();
    await started.registry.release();
  });

  it('writes inferences and feedback in the capture layout, one file per process and hour', async () => {
    const infer = await fetch(`${url}/v2/models/penguins/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        id: 'order-1',
        inputs: [{ name: 'features', shape: [2, 4], datatype: 'FP32', data: ROWS }],
      }),
    });
    expect(infer.status).toBe(200);
    const pixels = new Float32Array(784).fill(0.5);
    const { body, headerLength } = binaryRequest(
      { inputs: [{ name: 'pixels', shape: [1, 784], datatype: 'FP32', parameters: { binary_data_size: 784 * 4 } }] },
      [rawBytes(pixels)],
    );
    const binary = await fetch(`${url}/v2/models/mnist/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(headerLength) },
      body,
    });
    expect(binary.status).toBe(200);
    const feedback = await fetch(`${url}/v2/models/penguins/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'order-1', label: ['Adelie', 'Gentoo'] }),
    });
    expect(feedback.status).toBe(200);
    expect(await feedback.json()).toEqual({ accepted: true });
    await started.capture?.flush();

    const files = filesUnder(folder);
    const partition = /^date=\d{4}-\d\d-\d\d\/hour=\d\d\/local-\d+-[0-9a-f]{8}\.jsonl$/;
    expect(files).toHaveLength(3);
    const penguins = files.find((file) => file.startsWith('captures/model=penguins/version=1/'));
    const mnist = files.find((file) => file.startsWith('captures/model=mnist/version=1/'));
    const feedbackFile = files.find((file) => file.startsWith('feedback/model=penguins/'));
    for (const [file, prefix] of [
      [penguins, 'captures/model=penguins/version=1/'],
      [mnist, 'captures/model=mnist/version=1/'],
      [feedbackFile, 'feedback/model=penguins/'],
    ] as const) {
      expect(file?.slice(prefix.length)).toMatch(partition);
    }

    const [penguinsRecord] = jsonLines<CaptureRecord>(path.join(folder, penguins ?? ''));
    expect(penguinsRecord).toMatchObject({ kind: 'inference', id: 'order-1', model: 'penguins', version: '1' });
    expect(penguinsRecord.request).toEqual({
      contentType: 'application/json',
      json: {
        id: 'order-1',
        inputs: [
          { name: 'features', shape: [2, 4], datatype: 'FP32', data: ROWS.map((r) => [...r.slice(0, 3), null]) },
        ],
      },
    });
    expect(fs.readFileSync(path.join(folder, penguins ?? ''), 'utf8')).not.toContain('3750');

    const [mnistRecord] = jsonLines<CaptureRecord>(path.join(folder, mnist ?? ''));
    expect(mnistRecord.request).toEqual({
      contentType: 'application/octet-stream',
      headerLength,
      base64: body.toString('base64'),
    });

    expect(jsonLines<FeedbackRecord>(path.join(folder, feedbackFile ?? ''))).toEqual([
      {
        format: 1,
        kind: 'feedback',
        id: 'order-1',
        time: expect.any(String),
        model: 'penguins',
        truth: ['Adelie', 'Gentoo'],
      },
    ]);
    expect(printed).toContain(`capture: 100 % of inferences, and all feedback, go to ${path.resolve(folder)}`);
  });

  it('appends later records to the same hour file', async () => {
    const before = filesUnder(folder).filter((file) => file.includes('model=penguins/version=1'));
    for (let i = 0; i < 3; i++) {
      const answer = await fetch(`${url}/v2/models/penguins/infer`, {
        method: 'POST',
        body: JSON.stringify({ inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP32', data: [ROWS[0]] }] }),
      });
      expect(answer.status).toBe(200);
    }
    // A record is built after its answer has gone out, so the client may see the answer first: wait for the last
    // record (at most 5 s), then check that all went to the hour's one file.
    const penguinFiles = () => filesUnder(folder).filter((file) => file.includes('model=penguins/version=1'));
    const records = () => penguinFiles().flatMap((file) => jsonLines<CaptureRecord>(path.join(folder, file)));
    for (let waited = 0; records().length < 4 && waited < 5_000; waited += 20) {
      await started.capture?.flush();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // An hour boundary between the two tests would add one file; never one per request.
    expect(penguinFiles().length).toBeLessThanOrEqual(before.length + 1);
    expect(records()).toHaveLength(4);
  });

  it('returns 404 for feedback when the server captures nothing', async () => {
    const plain = await startLocalServer(
      { modelsDir: DEMO_MODELS, port: 0, host: '127.0.0.1', logRequests: false },
      () => undefined,
      () => undefined,
    );
    try {
      const port = (plain.server.address() as AddressInfo).port;
      const answer = await fetch(`http://127.0.0.1:${port}/v2/models/penguins/feedback`, {
        method: 'POST',
        body: JSON.stringify({ id: 'order-1', label: 'Adelie' }),
      });
      expect(answer.status).toBe(404);
      expect(((await answer.json()) as { error: string }).error).toMatch(/capture is off for model "penguins"/);
    } finally {
      plain.server.close();
      plain.server.closeAllConnections();
      await plain.registry.release();
    }
  });
});
