import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { goldenMismatch, outputAgreement, parseGoldenSet, type WireTensor } from '../../contract/golden-set';
import { DEMO_MODELS, type DemoModelName } from '../support/demo-models';
import {
  askTwin,
  type BundleRun,
  bundlesFolder,
  exportDemoBundles,
  type HeldOutRequest,
  mnistHeldOut,
  penguinsHeldOut,
  runBundleInNode,
  startTwin,
} from './support/demo-bundles';

// The exported bundles run in a Node.js child process exactly as a user's program imports them (onnxruntime-web's
// WebAssembly build, no onnxruntime-node), and must answer as the local twin (onnxruntime-node) does.

/**
 * How far a probability from onnxruntime-web may be from onnxruntime-node's: the golden sets' own tolerance, since
 * both builds run the same graph in float32 and differ only in kernels (SIMD widths, summation order).
 */
const FLOAT_TOLERANCE = { absolute: 1e-5, relative: 1e-4 };

let twin: Awaited<ReturnType<typeof startTwin>>;
let root: string;

beforeAll(async () => {
  twin = await startTwin();
  root = bundlesFolder();
  await exportDemoBundles(root);
});

afterAll(() => twin?.stop());

function bodies(run: BundleRun): { outputs: readonly WireTensor[] }[] {
  return run.answers.map((answer) => {
    if ('error' in answer) throw new Error(`the bundle refused a held-out row: ${answer.error.message}`);
    return answer.body;
  });
}

describe.each<[DemoModelName, () => HeldOutRequest[]]>([
  ['penguins', penguinsHeldOut],
  ['mnist', () => mnistHeldOut(10)],
])('the exported %s bundle under Node', (name, heldOut) => {
  it("runs on the device and answers every held-out row as the twin does: labels exact, probabilities within the golden sets' tolerance", async () => {
    const rows = heldOut();
    const run = await runBundleInNode(
      path.join(root, name),
      rows.map((row) => row.request),
    );
    expect(run.placement).toEqual({ placement: 'device' });
    const answers = bodies(run);
    let largest = 0;
    for (const [index, row] of rows.entries()) {
      const server = await askTwin(twin.url, name, row.request);
      expect(server.status).toBe(200);
      const serverOutputs = (server.body as { outputs: WireTensor[] }).outputs;
      expect(goldenMismatch(serverOutputs, answers[index].outputs, FLOAT_TOLERANCE)).toBeUndefined();
      for (const agreement of outputAgreement(serverOutputs, answers[index].outputs)) {
        if (agreement.maxAbsoluteDifference === undefined) expect(agreement.exact).toBe(true);
        else largest = Math.max(largest, agreement.maxAbsoluteDifference);
      }
    }
    // The held-out accuracy the model was trained to (penguins 0.98, mnist 0.95): the rows are the right ones.
    const labels = answers.map((answer) => answer.outputs.find((output) => output.name === 'label')?.data[0]);
    const correct = labels.filter((label, index) => label === rows[index].label).length;
    expect(correct / rows.length).toBeGreaterThan(0.9);
    console.log(`${name}: ${rows.length} held-out rows, largest |web - node| ${largest.toExponential(2)}`);
  });

  it('passes the golden set the server passes', async () => {
    const golden = parseGoldenSet(
      readFileSync(path.join(DEMO_MODELS, name, '1', 'golden.json'), 'utf8'),
      `${name} golden.json`,
    );
    const answers = bodies(
      await runBundleInNode(
        path.join(root, name),
        golden.cases.map((goldenCase) => goldenCase.request),
      ),
    );
    golden.cases.forEach((goldenCase, index) => {
      expect([goldenCase.name, goldenMismatch(goldenCase.expected, answers[index].outputs, golden.tolerance)]).toEqual([
        goldenCase.name,
        undefined,
      ]);
    });
  });
});

describe('requests the API refuses', () => {
  it.each([
    ['an unknown input', { inputs: [{ name: 'pixels', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] }],
    ['a wrong datatype', { inputs: [{ name: 'features', datatype: 'FP64', shape: [1, 4], data: [1, 2, 3, 4] }] }],
    ['a short row', { inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3] }] }],
    ['an unknown output', { inputs: penguinsHeldOut()[0].request.inputs, outputs: [{ name: 'species' }] }],
    ['no inputs', {}],
  ])('returns 4xx for %s with the status and message the twin answers', async (_, request) => {
    const server = await askTwin(twin.url, 'penguins', request);
    const run = await runBundleInNode(path.join(root, 'penguins'), [request]);
    expect(run.answers).toEqual([
      {
        error: { name: 'EdgeInferenceError', status: server.status, message: (server.body as { error: string }).error },
      },
    ]);
    expect(server.status).toBe(400);
  });

  it('answers only the outputs asked for, as the API does', async () => {
    const request = { ...penguinsHeldOut()[0].request, outputs: [{ name: 'label' }] };
    const run = await runBundleInNode(path.join(root, 'penguins'), [request]);
    const server = await askTwin(twin.url, 'penguins', request);
    expect(run.answers).toEqual([{ body: server.body }]);
  });
});

// Node's own fetch needs WebAssembly, so a Node without it cannot reach an endpoint either: the endpoint fallback is
// shown in Chromium with WebAssembly removed (export-web-browser.test.ts), as in a browser's lockdown mode.
describe('a runtime that cannot run the model', () => {
  it('fails saying how to configure an endpoint when there is none', async () => {
    const run = await runBundleInNode(path.join(root, 'mnist'), [mnistHeldOut(1000)[0].request], {
      nodeFlags: ['--no-expose-wasm'],
    }).catch((error: Error) => error);
    expect(String(run)).toContain(
      'model "mnist" cannot run on this device (this runtime has no WebAssembly); export it with --fallback-url or call configure({fallbackUrl})',
    );
  });
});
