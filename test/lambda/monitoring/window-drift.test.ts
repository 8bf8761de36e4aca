import type { Baseline } from '../../../contract/baseline';
import type { CapturedBody, CaptureRecord } from '../../../contract/capture';
import { buildModelDescriptor, type ModelDescriptor } from '../../../contract/model-descriptor';
import type { ModelManifest } from '../../../contract/model-repository';
import { buildBaseline } from '../../../lambda/monitoring/baseline-builder';
import { OTHER_CATEGORY, startWindow, windowDrift } from '../../../lambda/monitoring/window-drift';
import { joinBinaryBody } from '../../../lambda/protocol/binary-tensor-data';
import { seededRandom, standardNormal } from '../../../scripts/train/seeded-random';

/** A two-feature model answering a label and a score: enough to exercise every kind of distribution. */
const SPEC = {
  name: 'toy',
  version: '1',
  inputs: [{ name: 'x', datatype: 'FP32' as const, shape: [-1, 2] }],
  outputs: [
    { name: 'label', datatype: 'BYTES' as const, shape: [-1] },
    { name: 'score', datatype: 'FP32' as const, shape: [-1, 1] },
  ],
};
const MANIFEST: ModelManifest = { features: ['a', 'b'], labels: ['no', 'yes'] };

type Row = readonly [number, number];

/** What the toy model answers: "yes" when a + b > 0, with a score of a + b. */
function answer(rows: readonly Row[]): { labels: string[]; scores: number[] } {
  return {
    labels: rows.map(([a, b]) => (a + b > 0 ? 'yes' : 'no')),
    scores: rows.map(([a, b]) => Math.fround(a + b)),
  };
}

function normalRows(count: number, seed: number, shiftA = 0): Row[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => [standardNormal(random) + shiftA, standardNormal(random)] as const);
}

function descriptorWith(baseline: Baseline | undefined): ModelDescriptor {
  return buildModelDescriptor(
    SPEC,
    { sha256: '0'.repeat(64), sizeBytes: 1 },
    baseline === undefined ? MANIFEST : { ...MANIFEST, baseline },
  );
}

function trainedDescriptor(rows: readonly Row[]): ModelDescriptor {
  const { labels, scores } = answer(rows);
  const batch = {
    inputs: [{ name: 'x', datatype: 'FP32' as const, shape: [rows.length, 2], data: Float32Array.from(rows.flat()) }],
    outputs: [
      { name: 'label', datatype: 'BYTES' as const, shape: [rows.length], data: labels },
      { name: 'score', datatype: 'FP32' as const, shape: [rows.length, 1], data: Float32Array.from(scores) },
    ],
  };
  return descriptorWith(buildBaseline(descriptorWith(undefined), [batch], { source: 'synthetic' }));
}

function jsonResponse(rows: readonly Row[]): CapturedBody {
  const { labels, scores } = answer(rows);
  return {
    contentType: 'application/json',
    json: {
      model_name: 'toy',
      model_version: '1',
      outputs: [
        { name: 'label', datatype: 'BYTES', shape: [rows.length], data: labels },
        { name: 'score', datatype: 'FP32', shape: [rows.length, 1], data: scores },
      ],
    },
  };
}

function record(request: CapturedBody, response: CapturedBody, overrides: Partial<CaptureRecord> = {}): CaptureRecord {
  return {
    format: 1,
    kind: 'inference',
    id: 'r',
    requestId: 'r',
    time: '2026-12-01T10:00:00.000Z',
    model: 'toy',
    version: '1',
    request,
    response,
    ...overrides,
  };
}

/** One captured JSON request per row, as a client sending single rows would produce. */
function records(rows: readonly Row[]): CaptureRecord[] {
  return rows.map((row) =>
    record(
      {
        contentType: 'application/json',
        json: { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: row }] },
      },
      jsonResponse([row]),
    ),
  );
}

function byName(drift: ReturnType<typeof windowDrift>, name: string) {
  const found = [...drift.inputs, ...drift.outputs].find((distribution) => distribution.name === name);
  if (found === undefined) throw new Error(`no distribution "${name}"`);
  return found;
}

describe('windowDrift', () => {
  const training = normalRows(4000, 1);
  const descriptor = trainedDescriptor(training);

  it('finds no drift when the window comes from the training distribution', () => {
    const drift = windowDrift(descriptor, records(normalRows(2000, 2)));
    expect(drift.rows).toBe(2000);
    expect(drift.skipped).toBe(0);
    expect(drift.status).toBe('stable');
    for (const distribution of [...drift.inputs, ...drift.outputs]) {
      expect(distribution.psi).toBeLessThan(0.02);
    }
  });

  it('gives PSI 0 for the training rows themselves', () => {
    const drift = windowDrift(descriptor, records(training));
    for (const distribution of [...drift.inputs, ...drift.outputs]) expect(distribution.psi).toBeCloseTo(0, 12);
  });

  it('flags the shifted feature and the outputs it moves, and not the other feature', () => {
    const drift = windowDrift(descriptor, records(normalRows(2000, 3, 1)));
    expect(byName(drift, 'a').status).toBe('act');
    expect(byName(drift, 'b').status).toBe('stable');
    expect(byName(drift, 'score').status).toBe('act');
    expect(drift.status).toBe('act');
  });

  it('gives the known PSI when a uniform feature loses half its range', () => {
    // Baseline 0..999 in ten bins of 100; the window holds only 0..499: five bins of share 0.2 against 0.1, and
    // five emptied bins whose share is floored at 1e-4 against 0.1.
    const uniform: Row[] = Array.from({ length: 1000 }, (_, i) => [i, 0] as const);
    const shifted = uniform.slice(0, 500);
    const drift = windowDrift(trainedDescriptor(uniform), records(shifted));
    const expected = 5 * (0.2 - 0.1) * Math.log(0.2 / 0.1) + 5 * (1e-4 - 0.1) * Math.log(1e-4 / 0.1);
    const a = byName(drift, 'a');
    expect(a.kind === 'numeric' && a.edges.length).toBe(9);
    expect(a.psi).toBeCloseTo(expected, 10);
    expect(byName(drift, 'b').psi).toBeCloseTo(0, 12);
  });

  it('counts a label never seen in training in an "(other)" bin', () => {
    const unseen = record(records(training.slice(0, 1))[0]?.request ?? fail(), {
      contentType: 'application/json',
      json: { outputs: [{ name: 'label', datatype: 'BYTES', shape: [1], data: ['maybe'] }] },
    });
    const drift = windowDrift(descriptor, [...records(training.slice(0, 99)), unseen]);
    const label = byName(drift, 'label');
    expect(label.kind === 'categorical' && label.categories).toEqual(['no', 'yes', OTHER_CATEGORY]);
    expect(label.recent[2]).toBe(1);
    expect(label.baseline[2]).toBe(0);
  });

  it('reads binary tensor data requests and v1 predict requests as the server does', () => {
    const rows = normalRows(50, 4);
    const asJson = windowDrift(descriptor, records(rows));
    const binary = rows.map((row) => {
      const bytes = new Uint8Array(Float32Array.from(row).buffer);
      const { body, headerLength } = joinBinaryBody(
        {
          inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], parameters: { binary_data_size: bytes.byteLength } }],
        },
        [bytes],
      );
      return record(
        { contentType: 'application/octet-stream', headerLength, base64: body.toString('base64') },
        jsonResponse([row]),
      );
    });
    const predict = record(
      { contentType: 'application/json', json: { instances: rows.map((row) => [...row]) } },
      jsonResponse(rows),
    );
    expect(windowDrift(descriptor, binary).inputs).toEqual(asJson.inputs);
    const fromPredict = windowDrift(descriptor, [predict]);
    expect(fromPredict.rows).toBe(50);
    expect(fromPredict.inputs).toEqual(asJson.inputs);
    expect(fromPredict.outputs).toEqual(asJson.outputs);
  });

  it('skips records it cannot decode or that belong to another version, and counts them', () => {
    const good = records(normalRows(10, 5));
    const broken = [
      record({ contentType: 'application/json', json: { inputs: 'nope' } }, jsonResponse([])),
      record({ contentType: 'application/octet-stream', headerLength: 999, base64: 'AAAA' }, jsonResponse([])),
      { ...(good[0] ?? fail()), version: '2' },
    ];
    const drift = windowDrift(descriptor, [...good, ...broken]);
    expect(drift.records).toBe(10);
    expect(drift.rows).toBe(10);
    expect(drift.skipped).toBe(3);
    expect(drift.skipReasons.join('\n')).toMatch(/request could not be decoded: "inputs" must be a non-empty array/);
    expect(drift.skipReasons.join('\n')).toMatch(/version 2 belong to another window/);
  });

  it('still counts the inputs of a record whose answer is not an inference answer', () => {
    const rows = normalRows(10, 6);
    const failed = records(rows).map((each) =>
      record(each.request, { contentType: 'application/json', json: { error: 'model is loading' } }),
    );
    const drift = windowDrift(descriptor, failed);
    expect(drift.rows).toBe(10);
    expect(byName(drift, 'score').psi).toBeNaN();
    expect(byName(drift, 'score').status).toBe('stable');
  });

  it('uses the thresholds it is given', () => {
    const window = records(normalRows(2000, 7, 0.25));
    const psi = byName(windowDrift(descriptor, window), 'a').psi;
    expect(psi).toBeGreaterThan(0.01);
    expect(byName(windowDrift(descriptor, window, { watch: psi / 2, act: psi * 2 }), 'a').status).toBe('watch');
    expect(byName(windowDrift(descriptor, window, { watch: psi / 4, act: psi / 2 }), 'a').status).toBe('act');
  });

  it('fails with what to run when the model has no baseline', () => {
    expect(() => windowDrift(descriptorWith(undefined), [])).toThrow(
      /model "toy" version 1 has no baseline .* run npm run baseline -- models\/toy\/1 --data FILE/,
    );
  });
});

function fail(): never {
  throw new Error('test data is missing');
}

describe('startWindow', () => {
  it('counts records one at a time as windowDrift counts them all, and skips what is not a record', () => {
    const descriptor = trainedDescriptor(normalRows(1000, 8));
    const window = startWindow(descriptor);
    const recent = records(normalRows(300, 9, 0.5));
    for (const each of recent) window.add(each);
    window.skip('line 3 of part.jsonl is not JSON');
    const counted = window.result();
    const whole = windowDrift(descriptor, recent);
    expect(counted.inputs).toEqual(whole.inputs);
    expect(counted.outputs).toEqual(whole.outputs);
    expect(counted.skipped).toBe(1);
    expect(counted.skipReasons).toEqual(['line 3 of part.jsonl is not JSON']);
  });
});
