import { createHash } from 'node:crypto';
import { DATATYPES, type Datatype } from './datatypes';
import { type ModelManifest, parseModelManifest } from './model-repository';
import type { ModelSpec, TensorSpec } from './onnx-model-spec';

/**
 * A served model as one pinned unit: what its inputs and outputs are (read from the ONNX graph by ONNX Runtime at
 * synth), what the manifest says about it (features, labels, metrics), and which artifact it describes. Synth builds
 * it, uploads it content-addressed beside the model and pins its sha256 like the model's. The runtime checks at load
 * that the session it opened matches it; a backend without a session (a SageMaker forwarder) validates requests
 * against it alone.
 */
export interface ModelDescriptor {
  /** Format of this document; a runtime refuses a format it does not know instead of misreading it. */
  readonly format: typeof DESCRIPTOR_FORMAT;
  readonly name: string;
  readonly version: string;
  readonly platform: 'onnxruntime_onnx';
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  /** The model file this descriptor describes. */
  readonly artifact: { readonly sha256: string; readonly sizeBytes: number };
  /** The version's model.json, or `{}` without one. */
  readonly manifest: ModelManifest;
}

export const DESCRIPTOR_FORMAT = 1;

/** File name of the descriptor beside a model inside an image or container (`/opt/model/descriptor.json`). */
export const DESCRIPTOR_FILE = 'descriptor.json';

export function buildModelDescriptor(
  spec: ModelSpec,
  artifact: { readonly sha256: string; readonly sizeBytes: number },
  manifest: ModelManifest = {},
): ModelDescriptor {
  return {
    format: DESCRIPTOR_FORMAT,
    name: spec.name,
    version: spec.version,
    platform: 'onnxruntime_onnx',
    inputs: spec.inputs,
    outputs: spec.outputs,
    artifact,
    manifest,
  };
}

/**
 * The descriptor as bytes: two-space JSON with a trailing newline, keys in the order of the interface above, so the
 * same model and manifest always give the same bytes and the same sha256 (deploys that reproduce).
 */
export function serializeModelDescriptor(descriptor: ModelDescriptor): string {
  const ordered: ModelDescriptor = buildModelDescriptor(
    {
      name: descriptor.name,
      version: descriptor.version,
      inputs: descriptor.inputs.map(orderedTensor),
      outputs: descriptor.outputs.map(orderedTensor),
    },
    { sha256: descriptor.artifact.sha256, sizeBytes: descriptor.artifact.sizeBytes },
    descriptor.manifest,
  );
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

/** `anyRank` only where set, so that the descriptor of a model without such tensors keeps its bytes. */
function orderedTensor(tensor: TensorSpec): TensorSpec {
  const { name, datatype, shape, anyRank } = tensor;
  return { name, datatype, shape, ...(anyRank === true && { anyRank }) };
}

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Parses and checks a descriptor; throws an Error naming the source, the field and what was expected. */
export function parseModelDescriptor(text: string, source: string): ModelDescriptor {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${source} is not valid JSON (${(error as Error).message}): redeploy to rebuild it`);
  }
  const fail = (what: string): never => {
    throw new Error(`${source} is not a model descriptor: ${what}; redeploy to rebuild it`);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('it must be a JSON object');
  const d = value as Record<string, unknown>;
  if (d.format !== DESCRIPTOR_FORMAT) {
    return fail(`"format" is ${JSON.stringify(d.format)}, this runtime reads format ${DESCRIPTOR_FORMAT}`);
  }
  for (const field of ['name', 'version'] as const) {
    if (typeof d[field] !== 'string') fail(`"${field}" must be a string`);
  }
  if (d.platform !== 'onnxruntime_onnx') fail('"platform" must be "onnxruntime_onnx"');
  const tensors = (field: 'inputs' | 'outputs'): TensorSpec[] => {
    const list = d[field];
    if (!Array.isArray(list)) return fail(`"${field}" must be an array`);
    return list.map((item, index) => {
      const t = item as Record<string, unknown>;
      const okName = typeof t?.name === 'string';
      const okType = DATATYPES.includes(t?.datatype as Datatype);
      const okShape = Array.isArray(t?.shape) && t.shape.every((dim) => Number.isInteger(dim) && dim >= -1);
      const okAnyRank = t?.anyRank === undefined || t.anyRank === true;
      if (!okName || !okType || !okShape || !okAnyRank) {
        fail(
          `${field}[${index}] must be {"name", "datatype" (one of ${DATATYPES.join(', ')}), "shape" (integers, -1 for dynamic), ` +
            '"anyRank" (true, only for a tensor of unknown rank)}',
        );
      }
      return {
        name: t.name as string,
        datatype: t.datatype as Datatype,
        shape: t.shape as number[],
        ...(t.anyRank === true && { anyRank: true as const }),
      };
    });
  };
  const artifact = d.artifact as Record<string, unknown> | undefined;
  if (
    typeof artifact !== 'object' ||
    artifact === null ||
    typeof artifact.sha256 !== 'string' ||
    !/^[0-9a-f]{64}$/.test(artifact.sha256) ||
    !Number.isInteger(artifact.sizeBytes)
  ) {
    fail('"artifact" must be {"sha256": lowercase hex, "sizeBytes": integer}');
  }
  const manifest = parseModelManifest(JSON.stringify(d.manifest ?? {}), `${source} "manifest"`);
  return buildModelDescriptor(
    { name: d.name as string, version: d.version as string, inputs: tensors('inputs'), outputs: tensors('outputs') },
    { sha256: (artifact as { sha256: string }).sha256, sizeBytes: (artifact as { sizeBytes: number }).sizeBytes },
    manifest,
  );
}

/**
 * Why a session's spec does not match the descriptor it was deployed with, or undefined when it does. A mismatch
 * means the artifact and its descriptor come from different builds: the runtime refuses to serve rather than answer
 * against a contract the API and its clients were not given.
 */
export function descriptorMismatch(descriptor: ModelDescriptor, spec: ModelSpec): string | undefined {
  const render = (list: readonly TensorSpec[]) =>
    list
      .map((t) => `${t.name} ${t.datatype} ${t.anyRank === true ? 'any rank' : `[${t.shape.join(', ')}]`}`)
      .join('; ');
  for (const role of ['inputs', 'outputs'] as const) {
    const expected = render(descriptor[role]);
    const actual = render(spec[role]);
    if (expected !== actual) {
      return `model ${spec.name} version ${spec.version} ${role} are ${actual || 'none'}, but its descriptor says ${expected || 'none'}: the model file and its descriptor do not belong together; redeploy`;
    }
  }
  return undefined;
}
