import { createHash } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { CAPTURE_FORMAT, type CapturedBody, type CaptureRecord } from '../../contract/capture';
import { CAPTURE_MARKER } from '../../contract/environment';
import { decodeBinaryTensorData, INFERENCE_HEADER_CONTENT_LENGTH } from '../protocol/binary-tensor-data';
import { DATATYPES, type Datatype } from '../protocol/tensor';
import { toJsonData } from '../protocol/tensor-json';
import { headerValue } from '../shadow/shadow-sample';

/** Which named fields are kept out of a capture, and the salt of the hashes that replace the hashed ones. */
export interface CaptureFields {
  readonly dropFields: readonly string[];
  readonly hashFields: readonly string[];
  readonly hashSalt: string;
}

/** One answered inference, as the handler saw it, and what the capture needs to know about its model. */
export interface CapturedExchange {
  readonly event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded' | 'headers'>;
  readonly result: Pick<APIGatewayProxyResult, 'body' | 'isBase64Encoded' | 'headers'>;
  /** The server's own id for the request. */
  readonly requestId: string;
  readonly time: Date;
  readonly model: string;
  /** The version that answered (the served one when the path named none). */
  readonly version: string;
  /** The model's named input features (model.json "features"), when known: fields may name them too. */
  readonly features?: readonly string[];
}

/**
 * A field to drop or hash that names nothing this capture can find: neither a tensor of the request or the answer
 * nor a known feature. The record is not captured at all, since the field may well be a feature whose names are
 * unknown here, and writing its values would be exactly what the policy forbids.
 */
export class UnresolvedCaptureField extends Error {}

/**
 * The capture record of an answered inference: the request and the answer as they travelled, except that the values
 * of dropped fields become null and those of hashed fields their salted hash (see CapturePolicy). A binary tensor
 * data body stays its exact bytes unless a field in it must be dropped or hashed; then it becomes the equivalent JSON.
 * Throws UnresolvedCaptureField (see there) and, for bodies the handler could not have answered, an Error.
 */
export function captureRecord(exchange: CapturedExchange, fields: CaptureFields): CaptureRecord {
  const request = readBody(exchange.event, 'inputs');
  const response = readBody(exchange.result, 'outputs');
  const hidden = new HiddenFields(fields, exchange.features);
  hidden.checkResolved([...request.tensorNames, ...response.tensorNames]);
  const id = request.id;
  return {
    format: CAPTURE_FORMAT,
    kind: 'inference',
    id: id ?? exchange.requestId,
    requestId: exchange.requestId,
    time: exchange.time.toISOString(),
    model: exchange.model,
    version: exchange.version,
    request: hidden.apply(request, true),
    response: hidden.apply(response, false),
  };
}

/**
 * The record as one log line: JSON with the marker field first, which the capture writer's subscription filter
 * matches. Base64 bodies are spliced in as they are: their alphabet needs no JSON escaping, and JSON.stringify would
 * still scan every character of what can be hundreds of kilobytes.
 */
export function captureLogLine(record: CaptureRecord): string {
  const { request, response, ...rest } = record;
  const head = JSON.stringify({ [CAPTURE_MARKER]: 1, ...rest });
  return `${head.slice(0, -1)},"request":${bodyJson(request)},"response":${bodyJson(response)}}`;
}

/** The record as one line of a capture file (a CaptureRecord, without the log marker). */
export function captureFileLine(record: CaptureRecord): string {
  const { request, response, ...rest } = record;
  const head = JSON.stringify(rest);
  return `${head.slice(0, -1)},"request":${bodyJson(request)},"response":${bodyJson(response)}}`;
}

function bodyJson(body: CapturedBody): string {
  if (body.contentType === 'application/json') return JSON.stringify(body);
  return `{"contentType":"application/octet-stream","headerLength":${body.headerLength},"base64":"${body.base64}"}`;
}

type TensorsKey = 'inputs' | 'outputs';

interface ReadBody {
  readonly tensorsKey: TensorsKey;
  /** The JSON body, or the JSON header of a binary one. */
  readonly json: JsonObject;
  readonly binary?: { readonly headerLength: number; readonly base64: string; readonly bytes: Buffer };
  readonly tensorNames: readonly string[];
  readonly id?: string;
}

type JsonObject = Record<string, unknown>;

interface Message {
  readonly body: string | null;
  readonly isBase64Encoded?: boolean;
  readonly headers?: Parameters<typeof headerValue>[0];
}

function readBody(message: Message, tensorsKey: TensorsKey): ReadBody {
  const text = message.body ?? '';
  const headerLengthText = headerValue(message.headers, INFERENCE_HEADER_CONTENT_LENGTH);
  if (headerLengthText !== undefined) {
    const bytes = message.isBase64Encoded === true ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
    const headerLength = Number(headerLengthText);
    const json = parseObject(bytes.subarray(0, headerLength).toString('utf8'));
    const base64 = message.isBase64Encoded === true ? text : bytes.toString('base64');
    return { tensorsKey, json, binary: { headerLength, base64, bytes }, ...described(json, tensorsKey) };
  }
  const json = parseObject(message.isBase64Encoded === true ? Buffer.from(text, 'base64').toString('utf8') : text);
  return { tensorsKey, json, ...described(json, tensorsKey) };
}

function parseObject(text: string): JsonObject {
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error('an answered inference body is not a JSON object');
  }
  return value as JsonObject;
}

function described(json: JsonObject, tensorsKey: TensorsKey): { tensorNames: string[]; id?: string } {
  const names = tensorsOf(json, tensorsKey).flatMap((tensor) => (typeof tensor.name === 'string' ? [tensor.name] : []));
  return { tensorNames: names, ...(typeof json.id === 'string' && { id: json.id }) };
}

function tensorsOf(json: JsonObject, key: TensorsKey): JsonObject[] {
  const tensors = json[key];
  if (!Array.isArray(tensors)) return [];
  return tensors.filter((tensor): tensor is JsonObject => typeof tensor === 'object' && tensor !== null);
}

type Treatment = 'drop' | 'hash';

class HiddenFields {
  private readonly treatments = new Map<string, Treatment>();

  constructor(
    private readonly fields: CaptureFields,
    private readonly features: readonly string[] | undefined,
  ) {
    for (const field of fields.hashFields) this.treatments.set(field, 'hash');
    // Dropping wins over hashing for a field named in both: it reveals less.
    for (const field of fields.dropFields) this.treatments.set(field, 'drop');
  }

  checkResolved(tensorNames: readonly string[]): void {
    if (this.features !== undefined) return;
    for (const field of this.treatments.keys()) {
      if (!tensorNames.includes(field)) {
        throw new UnresolvedCaptureField(
          `field "${field}" is neither a tensor of the request or answer nor a known feature (the model's feature ` +
            'names are unknown here); nothing is captured rather than risk capturing it',
        );
      }
    }
  }

  apply(body: ReadBody, isRequest: boolean): CapturedBody {
    const plans = tensorsOf(body.json, body.tensorsKey).map((tensor) => this.plan(tensor, isRequest));
    if (plans.every((plan) => plan === undefined)) {
      return body.binary === undefined
        ? { contentType: 'application/json', json: body.json }
        : {
            contentType: 'application/octet-stream',
            headerLength: body.binary.headerLength,
            base64: body.binary.base64,
          };
    }
    const json = body.binary === undefined ? body.json : withBinaryAsJson(body.json, body.tensorsKey, body.binary);
    const tensors = tensorsOf(json, body.tensorsKey).map((tensor, index) => {
      const plan = plans[index];
      return plan === undefined ? tensor : { ...tensor, data: mapLeaves(tensor.data, plan) };
    });
    return { contentType: 'application/json', json: { ...json, [body.tensorsKey]: tensors } };
  }

  /** What happens to each element of a tensor, by its flat index; undefined when it is captured as it is. */
  private plan(tensor: JsonObject, isRequest: boolean): ((value: unknown, index: number) => unknown) | undefined {
    const whole = typeof tensor.name === 'string' ? this.treatments.get(tensor.name) : undefined;
    if (whole !== undefined) return (value) => this.treat(whole, value);
    const columns = isRequest ? this.featureColumns(tensor) : undefined;
    if (columns === undefined) return undefined;
    const width = columns.length;
    return (value, index) => {
      const treatment = columns[index % width];
      return treatment === undefined ? value : this.treat(treatment, value);
    };
  }

  /**
   * The treatment of each feature column, for an input whose last dimension has one element per named feature (the
   * layout the baseline reads features from); undefined when no column is dropped or hashed.
   */
  private featureColumns(tensor: JsonObject): (Treatment | undefined)[] | undefined {
    const features = this.features;
    const shape = tensor.shape;
    if (features === undefined || features.length === 0 || !Array.isArray(shape)) return undefined;
    if (shape[shape.length - 1] !== features.length) return undefined;
    const columns = features.map((feature) => this.treatments.get(feature));
    return columns.some((treatment) => treatment !== undefined) ? columns : undefined;
  }

  private treat(treatment: Treatment, value: unknown): unknown {
    if (treatment === 'drop') return null;
    return createHash('sha256')
      .update(this.fields.hashSalt + JSON.stringify(value))
      .digest('hex')
      .slice(0, 16);
  }
}

/** Every leaf of (possibly nested) tensor data, in row-major order, through `map` with its flat index. */
function mapLeaves(data: unknown, map: (value: unknown, index: number) => unknown): unknown {
  let index = 0;
  const visit = (value: unknown): unknown => (Array.isArray(value) ? value.map(visit) : map(value, index++));
  return visit(data);
}

/**
 * The JSON equivalent of a binary body's header: each tensor sent as binary data gets its `data` decoded from the
 * bytes after the header (with the protocol's own decoder), and loses the `binary_data_size` parameter.
 */
function withBinaryAsJson(json: JsonObject, key: TensorsKey, binary: NonNullable<ReadBody['binary']>): JsonObject {
  let offset = binary.headerLength;
  const tensors = tensorsOf(json, key).map((tensor) => {
    const parameters = tensor.parameters;
    if (typeof parameters !== 'object' || parameters === null) return tensor;
    const { binary_data_size: size, ...otherParameters } = parameters as JsonObject;
    if (typeof size !== 'number') return tensor;
    const bytes = binary.bytes.subarray(offset, offset + size);
    offset += size;
    const { name, datatype, shape } = tensor;
    if (typeof name !== 'string' || typeof datatype !== 'string' || !isDatatype(datatype) || !isShape(shape)) {
      throw new Error(`binary tensor "${String(name)}" of an answered inference has no valid datatype and shape`);
    }
    const data = toJsonData({ name, datatype, shape, data: decodeBinaryTensorData(name, datatype, shape, bytes) });
    const { parameters: _parameters, ...rest } = tensor;
    return Object.keys(otherParameters).length === 0
      ? { ...rest, data }
      : { ...rest, parameters: otherParameters, data };
  });
  return { ...json, [key]: tensors };
}

function isDatatype(value: string): value is Datatype {
  return (DATATYPES as readonly string[]).includes(value);
}

function isShape(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((dimension) => Number.isInteger(dimension) && dimension >= 0);
}
