import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { MANIFEST_FILE, type ModelManifest, readModelManifest } from '../contract/model-repository';
import { openModelSession, type TensorSpec } from '../contract/onnx-model-spec';
import { readRegularFileSync } from '../contract/regular-file';
import { chooseBackend } from '../lib/backend-choice';
import { readOpsetImports } from './onnx-opsets';
import { clip, formatBytes, wrap } from './output-text';

export const INSPECT_USAGE = `Usage: model-endpoint inspect <model.onnx> [--json]

Opens the model in ONNX Runtime as a deploy does and prints its inputs and
outputs (as the API's metadata shows them), the operator sets it imports, its
size, and the backend "auto" would choose for it.`;

export async function inspect(argv: readonly string[], print: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false } },
  });
  const [file, extra] = positionals;
  if (file === undefined || extra !== undefined) throw new Error(`inspect takes one model file\n\n${INSPECT_USAGE}`);
  const bytes = readRegularFileSync(file);
  // A model in the repository's layout keeps its name and version in messages; any other file is named after itself.
  const parts = path.resolve(file).split(path.sep);
  const version = /^[1-9][0-9]*$/.test(parts.at(-2) ?? '') ? (parts.at(-2) as string) : '1';
  const name = version === parts.at(-2) ? (parts.at(-3) ?? 'model') : path.basename(file, '.onnx');
  const { InferenceSession } = await import('onnxruntime-node');
  const { session, spec } = await openModelSession(name, version, bytes, (model) =>
    InferenceSession.create(model, { graphOptimizationLevel: 'all', logSeverityLevel: 3 }),
  );
  await session.release();
  const opsets = readOpsetImports(bytes);
  const decision = chooseBackend('auto', bytes.byteLength);
  const manifest = manifestBeside(file);
  if (values.json) {
    print(
      JSON.stringify({
        file,
        sizeBytes: bytes.byteLength,
        sha256: createHash('sha256').update(bytes).digest('hex'),
        opsets,
        inputs: spec.inputs,
        outputs: spec.outputs,
        backend: decision.backend,
        reason: decision.reason,
        // The baseline (drift monitoring's training distributions) is left out: it is data, not a description.
        ...(manifest !== undefined && { manifest: { ...manifest, baseline: undefined } }),
      }),
    );
    return 0;
  }
  print(clip(`${file}: ${formatBytes(bytes.byteLength)}`));
  if (manifest?.description !== undefined) for (const line of wrap(manifest.description, '  ')) print(line);
  print(
    clip(`opsets: ${opsets.map((o) => `${o.domain === '' ? 'ai.onnx' : o.domain} ${o.version}`).join(', ') || 'none'}`),
  );
  print('inputs:');
  for (const tensor of spec.inputs) print(clip(`  ${describeTensor(tensor)}`));
  print('outputs:');
  for (const tensor of spec.outputs) print(clip(`  ${describeTensor(tensor)}`));
  print(`backend (auto): ${decision.backend}`);
  for (const line of wrap(decision.reason, '  ')) print(line);
  return 0;
}

function describeTensor(tensor: TensorSpec): string {
  return `${tensor.name.padEnd(16)} ${tensor.datatype.padEnd(6)} ${tensor.anyRank === true ? 'any rank' : `[${tensor.shape.join(', ')}]`}`;
}

function manifestBeside(file: string): ModelManifest | undefined {
  try {
    return readModelManifest(path.join(path.dirname(file), MANIFEST_FILE));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
