import { buildModelDescriptor, type ModelDescriptor } from '../../../contract/model-descriptor';
import { feedbackQuality } from '../../../lambda/monitoring/feedback-quality';
import { binaryRequest, bytesElements } from '../../support/binary-tensor-data';
import { feedbackRecord, PENGUIN_LABELS, penguinCapture } from './support/capture-records';

const TIME = '2026-12-01T10:00:00.000Z';
const ROW = [40, 18, 190, 3700];

const penguins: ModelDescriptor = buildModelDescriptor(
  {
    name: 'penguins',
    version: '1',
    inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 4] }],
    outputs: [
      { name: 'label', datatype: 'BYTES', shape: [-1] },
      { name: 'probabilities', datatype: 'FP32', shape: [-1, 3] },
    ],
  },
  { sha256: 'a'.repeat(64), sizeBytes: 1 },
  { labels: [...PENGUIN_LABELS] },
);

describe('feedback quality', () => {
  it('gives the share of fed-back rows whose captured label was right, by request id', () => {
    const captures = [
      penguinCapture(ROW, { id: 'r1', time: TIME, label: 'Adelie' }),
      penguinCapture(ROW, { id: 'r2', time: TIME, label: 'Gentoo' }),
      penguinCapture(ROW, { id: 'r3', time: TIME, label: 'Chinstrap' }),
      penguinCapture(ROW, { id: 'no-feedback', time: TIME, label: 'Adelie' }),
    ];
    const feedback = [
      feedbackRecord('r1', 'Adelie', TIME),
      // A class index reads through model.json "labels": 2 is Gentoo.
      feedbackRecord('r2', 2, TIME),
      feedbackRecord('r3', 'Adelie', TIME),
      feedbackRecord('unknown-request', 'Adelie', TIME),
    ];
    expect(feedbackQuality(penguins, captures, feedback)).toEqual({
      kind: 'accuracy',
      output: 'label',
      rows: 3,
      accuracy: 2 / 3,
    });
  });

  it('takes the latest feedback for a request, so a correction replaces the first answer', () => {
    const captures = [penguinCapture(ROW, { id: 'r1', time: TIME, label: 'Adelie' })];
    const feedback = [feedbackRecord('r1', 'Gentoo', TIME), feedbackRecord('r1', 'Adelie', TIME)];
    expect(feedbackQuality(penguins, captures, feedback)).toMatchObject({ rows: 1, accuracy: 1 });
  });

  it('gives the mean absolute error of a regressor with one value per row', () => {
    const regressor = buildModelDescriptor(
      {
        name: 'price',
        version: '1',
        inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 2] }],
        outputs: [{ name: 'price', datatype: 'FP32', shape: [-1, 1] }],
      },
      { sha256: 'b'.repeat(64), sizeBytes: 1 },
    );
    const capture = (id: string, data: number[]) => ({
      ...penguinCapture(ROW, { id, time: TIME, label: 'Adelie' }),
      model: 'price',
      response: {
        contentType: 'application/json' as const,
        json: { outputs: [{ name: 'price', datatype: 'FP32', shape: [data.length, 1], data }] },
      },
    });
    const captures = [capture('a', [10, 20]), capture('b', [5])];
    const feedback = [
      { ...feedbackRecord('a', 0, TIME), model: 'price', truth: [12, 20] },
      { ...feedbackRecord('b', 0, TIME), model: 'price', truth: [1] },
    ];
    expect(feedbackQuality(regressor, captures, feedback)).toEqual({
      kind: 'error',
      output: 'price',
      rows: 3,
      meanAbsoluteError: (2 + 0 + 4) / 3,
    });
  });

  it('reads an answer captured as binary tensor data, as the server sent it', () => {
    const label = bytesElements(['Gentoo']);
    const { body, headerLength } = binaryRequest(
      {
        outputs: [{ name: 'label', datatype: 'BYTES', shape: [1], parameters: { binary_data_size: label.byteLength } }],
      },
      [label],
    );
    const binary = {
      ...penguinCapture(ROW, { id: 'bin', time: TIME, label: 'Adelie' }),
      response: { contentType: 'application/octet-stream' as const, headerLength, base64: body.toString('base64') },
    };
    expect(feedbackQuality(penguins, [binary], [feedbackRecord('bin', 'Gentoo', TIME)])).toMatchObject({
      rows: 1,
      accuracy: 1,
    });
  });

  it('returns nothing when no feedback fits a readable answer (an unreadable answer, another row count)', () => {
    const unreadable = {
      ...penguinCapture(ROW, { id: 'bad', time: TIME, label: 'Adelie' }),
      response: { contentType: 'application/json' as const, json: { error: 'model not ready' } },
    };
    const feedback = [
      feedbackRecord('bad', 'Adelie', TIME),
      { ...feedbackRecord('r1', 'Adelie', TIME), truth: ['Adelie', 'Gentoo'] },
    ];
    const captures = [unreadable, penguinCapture(ROW, { id: 'r1', time: TIME, label: 'Adelie' })];
    expect(feedbackQuality(penguins, captures, feedback)).toBeUndefined();
  });
});
