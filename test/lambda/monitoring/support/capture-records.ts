import { CAPTURE_FORMAT, type CaptureRecord, type FeedbackRecord } from '../../../../contract/capture';
import { CAPTURE_MARKER } from '../../../../contract/environment';

/** A normal draw (Box-Muller) from a uniform stream. */
export function normal(random: () => number, mean: number, deviation: number): number {
  const u = 1 - random();
  const v = random();
  return mean + deviation * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export const PENGUIN_LABELS = ['Adelie', 'Chinstrap', 'Gentoo'] as const;

/** Penguin-like measurements: bill length, bill depth, flipper length (mm), body mass (g). */
export function penguinRow(random: () => number, bodyMassFactor = 1): number[] {
  return [
    normal(random, 44, 5.5),
    normal(random, 17.2, 2),
    normal(random, 201, 14),
    normal(random, 4200, 800) * bodyMassFactor,
  ];
}

/**
 * A penguins capture record, as the capture wrapper writes it (contract/capture.ts): the JSON request and the
 * model's JSON answer, one row each.
 */
export function penguinCapture(
  row: readonly number[],
  options: { readonly id: string; readonly time: string; readonly label: string; readonly version?: string },
): CaptureRecord {
  return {
    format: CAPTURE_FORMAT,
    kind: 'inference',
    id: options.id,
    requestId: `request-${options.id}`,
    time: options.time,
    model: 'penguins',
    version: options.version ?? '1',
    request: {
      contentType: 'application/json',
      json: { id: options.id, inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 4], data: [...row] }] },
    },
    response: {
      contentType: 'application/json',
      json: {
        model_name: 'penguins',
        model_version: options.version ?? '1',
        id: options.id,
        outputs: [
          { name: 'label', datatype: 'BYTES', shape: [1], data: [options.label] },
          {
            name: 'probabilities',
            datatype: 'FP32',
            shape: [1, 3],
            data: PENGUIN_LABELS.map((label) => (label === options.label ? 0.9 : 0.05)),
          },
        ],
      },
    },
  };
}

export function feedbackRecord(id: string, truth: string | number, time: string): FeedbackRecord {
  return { format: CAPTURE_FORMAT, kind: 'feedback', id, time, model: 'penguins', truth: [truth] };
}

/** The log line the function writes for a record: the record with the marker field. */
export function captureLogLine(record: CaptureRecord | FeedbackRecord): string {
  return JSON.stringify({ ...record, [CAPTURE_MARKER]: 1 });
}
