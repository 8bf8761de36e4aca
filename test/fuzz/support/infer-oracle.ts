/** The inference oracle: an answer must equal ONNX Runtime run directly on the same model and inputs. */
import { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import type { Datatype } from '../../../contract/datatypes';
import { type Answer, expectClientError, OracleFailure } from './answer';
import type { FuzzModel } from './fuzz-models';
import { type InferCase, requestedOutputs, stringVerdictOf } from './infer-cases';
import { canonical, feedArray, ORT_TYPES } from './tensor-values';

interface ReferenceOutput {
  readonly dims: readonly number[];
  /** One canonical text per element. */
  readonly values: readonly string[];
}

/** ONNX Runtime sessions of the fuzzer's models, in the test process: what the server must agree with. */
export class Reference {
  private readonly sessions = new Map<string, Promise<InferenceSession>>();

  private session(model: FuzzModel): Promise<InferenceSession> {
    let session = this.sessions.get(model.name);
    if (session === undefined) {
      session = InferenceSession.create(model.file);
      this.sessions.set(model.name, session);
    }
    return session;
  }

  async run(request: InferCase): Promise<Map<string, ReferenceOutput>> {
    const feeds: Record<string, OrtTensor> = {};
    for (const input of request.inputs) {
      const data = feedArray(input.spec.datatype, input.elements);
      feeds[input.spec.name] = new OrtTensor(ORT_TYPES[input.spec.datatype], data as never, [...input.shape]);
    }
    const results = await (await this.session(request.model)).run(feeds);
    const outputs = new Map<string, ReferenceOutput>();
    for (const spec of request.model.outputs) {
      const tensor = results[spec.name];
      if (tensor === undefined) throw new Error(`ONNX Runtime gave no output ${spec.name}`);
      const values = Array.from(tensor.data as ArrayLike<unknown>, (value) => canonical(spec.datatype, value, true));
      outputs.set(spec.name, { dims: [...tensor.dims], values });
    }
    return outputs;
  }

  async release(): Promise<void> {
    for (const session of this.sessions.values()) await (await session).release();
  }
}

interface AnswerOutput {
  readonly name?: unknown;
  readonly datatype?: unknown;
  readonly shape?: unknown;
  readonly data?: unknown;
  readonly parameters?: { readonly binary_data_size?: unknown };
}

const NAMES_NUL = /NUL|null (character|byte)|\\u0000|U\+0000/i;
const NAMES_SURROGATE = /surrogate|UTF-16|UTF-8|unicode/i;

function anyOf(patterns: readonly RegExp[]): RegExp {
  return new RegExp(patterns.map((pattern) => `(?:${pattern.source})`).join('|'), 'i');
}

/**
 * Checks the answer to a valid case: 200 with exactly the requested outputs, each equal to ONNX Runtime's, the id
 * echoed; for an Identity model each output also equals what the client sent (no silently altered value). Where
 * the issue says a value cannot be carried (a NUL in a string), the answer must be a 400 that says so instead.
 */
export async function expectInferAnswer(request: InferCase, answer: Answer, reference: Reference): Promise<void> {
  const verdict = stringVerdictOf(request);
  // A request may hold both kinds of string; a refusal may name whichever it meets first.
  const refusalNames = verdict.hasLoneSurrogate ? [NAMES_NUL, NAMES_SURROGATE] : [NAMES_NUL];
  if (verdict.hasNul) {
    // ONNX Runtime's strings end at a NUL: answering would return different data (defect 4).
    return expectClientError(answer, [400], [anyOf(refusalNames)]);
  }
  if (verdict.hasLoneSurrogate && answer.status === 400) {
    return expectClientError(answer, [400], [NAMES_SURROGATE]);
  }
  if (answer.status !== 200) throw new OracleFailure('a valid request must be answered 200', answer);
  const { json, binary } = readAnswer(answer);
  const expected = await reference.run(request);
  if (json.model_name !== request.model.name || json.model_version !== '1') {
    throw new OracleFailure(`model_name/model_version must be "${request.model.name}"/"1"`, answer);
  }
  if (json.id !== request.id) {
    throw new OracleFailure(`the id must be echoed exactly: sent ${JSON.stringify(request.id)}`, answer);
  }
  const wanted = requestedOutputs(request);
  const outputs = Array.isArray(json.outputs) ? (json.outputs as AnswerOutput[]) : [];
  const names = outputs.map((output) => output.name);
  if (names.length !== wanted.length || !wanted.every((output) => names.includes(output.name))) {
    throw new OracleFailure(`the outputs must be exactly ${wanted.map((output) => output.name).join(', ')}`, answer);
  }
  for (const output of outputs) {
    const name = String(output.name);
    const spec = request.model.outputs.find((candidate) => candidate.name === name);
    const reference = expected.get(name);
    if (spec === undefined || reference === undefined) throw new OracleFailure(`unknown output ${name}`, answer);
    const wantsBinary = wanted.find((candidate) => candidate.name === name)?.binary ?? false;
    const values = wantsBinary
      ? binaryValues(spec.datatype, binary.get(name), answer)
      : Array.isArray(output.data)
        ? output.data.map((value) => canonical(spec.datatype, value))
        : undefined;
    if (values === undefined) throw new OracleFailure(`output ${name} has no data`, answer);
    if (output.datatype !== spec.datatype || JSON.stringify(output.shape) !== JSON.stringify(reference.dims)) {
      throw new OracleFailure(
        `output ${name} must be ${spec.datatype} ${JSON.stringify(reference.dims)} as ONNX Runtime gives it`,
        answer,
      );
    }
    if (JSON.stringify(values) !== JSON.stringify(reference.values)) {
      throw new OracleFailure(
        `output ${name} differs from ONNX Runtime's: ${JSON.stringify(values).slice(0, 200)} vs ${JSON.stringify(reference.values).slice(0, 200)}`,
        answer,
      );
    }
    const source = request.model.identityOf?.[name];
    const input = request.inputs.find((candidate) => candidate.spec.name === source);
    if (input !== undefined) {
      const sent = input.elements.map((element) => canonical(input.spec.datatype, element.wire));
      if (JSON.stringify(values) !== JSON.stringify(sent)) {
        throw new OracleFailure(
          `Identity output ${name} differs from what was sent: ${JSON.stringify(values).slice(0, 200)} vs ${JSON.stringify(sent).slice(0, 200)}`,
          answer,
        );
      }
    }
  }
}

/** The JSON part of an answer and, for a binary answer, each binary output's bytes by name. */
function readAnswer(answer: Answer): { json: Record<string, unknown>; binary: Map<string, Buffer> } {
  const headerLength = answer.headers['inference-header-content-length'];
  const length = headerLength === undefined ? answer.body.byteLength : Number(headerLength);
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(answer.body.subarray(0, length).toString('utf8'));
  } catch {
    throw new OracleFailure('the answer (or its JSON header) is not JSON', answer);
  }
  const binary = new Map<string, Buffer>();
  let offset = length;
  for (const output of Array.isArray(json.outputs) ? (json.outputs as AnswerOutput[]) : []) {
    const size = output.parameters?.binary_data_size;
    if (typeof size !== 'number') continue;
    binary.set(String(output.name), answer.body.subarray(offset, offset + size));
    offset += size;
  }
  if (offset !== answer.body.byteLength) {
    throw new OracleFailure(
      `the binary answer has ${answer.body.byteLength - offset} bytes no output accounts for`,
      answer,
    );
  }
  return { json, binary };
}

const ELEMENT_BYTES: Record<Exclude<Datatype, 'BYTES'>, number> = {
  BOOL: 1,
  UINT8: 1,
  UINT16: 2,
  UINT32: 4,
  UINT64: 8,
  INT8: 1,
  INT16: 2,
  INT32: 4,
  INT64: 8,
  FP16: 2,
  FP32: 4,
  FP64: 8,
};

/** Canonical element texts of a binary output, read as the extension describes the layout (little-endian). */
function binaryValues(datatype: Datatype, bytes: Buffer | undefined, answer: Answer): string[] {
  if (bytes === undefined) throw new OracleFailure('a binary output came without binary_data_size', answer);
  const values: unknown[] = [];
  if (datatype === 'BYTES') {
    let offset = 0;
    while (offset + 4 <= bytes.byteLength) {
      const length = bytes.readUInt32LE(offset);
      values.push(bytes.subarray(offset + 4, offset + 4 + length).toString('utf8'));
      offset += 4 + length;
    }
    if (offset !== bytes.byteLength) throw new OracleFailure('a binary BYTES output is cut short', answer);
    return values.map((value) => canonical(datatype, value));
  }
  const size = ELEMENT_BYTES[datatype];
  for (let offset = 0; offset + size <= bytes.byteLength; offset += size) {
    switch (datatype) {
      case 'BOOL':
      case 'UINT8':
        values.push(bytes.readUInt8(offset));
        break;
      case 'INT8':
        values.push(bytes.readInt8(offset));
        break;
      case 'UINT16':
      case 'FP16':
        values.push(bytes.readUInt16LE(offset));
        break;
      case 'INT16':
        values.push(bytes.readInt16LE(offset));
        break;
      case 'UINT32':
        values.push(bytes.readUInt32LE(offset));
        break;
      case 'INT32':
        values.push(bytes.readInt32LE(offset));
        break;
      case 'UINT64':
        values.push(bytes.readBigUInt64LE(offset));
        break;
      case 'INT64':
        values.push(bytes.readBigInt64LE(offset));
        break;
      case 'FP32':
        values.push(bytes.readFloatLE(offset));
        break;
      case 'FP64':
        values.push(bytes.readDoubleLE(offset));
        break;
    }
  }
  return values.map((value) => canonical(datatype, value, true));
}
