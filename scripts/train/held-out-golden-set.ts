import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_GOLDEN_TOLERANCE, GOLDEN_SET_FILE, serializeGoldenSet } from '../../contract/golden-set';
import { MODEL_FILE } from '../../contract/model-repository';
import { type NamedRequest, openGoldenRecorder } from '../golden/golden-recorder';
import { DEMO_MODEL_FIXTURES, MODELS_ROOT } from './model-files';

/** Enough single rows to cover every class of a small held-out set, and a batch: a batch is its own code path. */
export const GOLDEN_ROWS = 8;

/**
 * Records a demo model's golden set from its held-out rows (rows spread evenly over the held-out set, which is in
 * dataset order, so every class appears) with the runtime's own answers, and writes it beside the model in the
 * repository and in the test fixtures. The default tolerance holds: the answers come from the same ONNX Runtime
 * build that serves them. Run after writeModel.
 */
export async function writeHeldOutGoldenSet(
  name: string,
  inputName: string,
  heldOut: { readonly count: number; row(index: number): number[] },
): Promise<number> {
  const picked = Array.from({ length: GOLDEN_ROWS }, (_, i) => Math.floor((i * heldOut.count) / GOLDEN_ROWS));
  const request = (rows: readonly number[]) => ({
    inputs: [
      {
        name: inputName,
        datatype: 'FP32' as const,
        shape: [rows.length, heldOut.row(rows[0]).length],
        data: rows.flatMap((row) => heldOut.row(row)),
      },
    ],
  });
  const requests: NamedRequest[] = [
    ...picked.map((row) => ({ name: `held-out row ${row}`, request: request([row]) })),
    { name: `held-out rows ${picked.join(', ')} as one batch`, request: request(picked) },
  ];
  const recorder = await openGoldenRecorder(name, '1', join(MODELS_ROOT, name, '1', MODEL_FILE));
  try {
    const text = serializeGoldenSet({
      format: 1,
      tolerance: DEFAULT_GOLDEN_TOLERANCE,
      cases: await recorder.record(requests),
    });
    for (const root of [MODELS_ROOT, DEMO_MODEL_FIXTURES]) writeFileSync(join(root, name, '1', GOLDEN_SET_FILE), text);
    return requests.length;
  } finally {
    await recorder.release();
  }
}
