/**
 * The binary tensor data extension (Triton's "binary_tensor_data", also in KServe): a body is a JSON header followed
 * by raw tensor bytes, and the `Inference-Header-Content-Length` HTTP header gives the JSON header's length. Raw
 * bytes are little-endian, row-major, without padding; BOOL is one byte (0 or 1) per element; FP16 is its 2-byte bit
 * pattern; BYTES is each element as a 4-byte little-endian length followed by its bytes.
 *
 * Numeric tensors are never touched element by element: they become typed-array views over the body (or one memory
 * copy when the tensor's offset is not a multiple of its element size, which typed arrays require).
 */
import { BINARY_MEDIA_TYPE } from '../../contract/limits';
import { BadRequestError } from './errors';
import { quote } from './json';
import { bytesElementProblem } from './string-elements';
import { ARRAY_TYPES, type Datatype, type Tensor, type TensorData } from './tensor';
import { formatShape } from './tensor-data';

/** The HTTP header, lowercased as request headers are handed to the protocol core. */
export const INFERENCE_HEADER_CONTENT_LENGTH = 'inference-header-content-length';

// Typed arrays use the host's byte order, and the wire is little-endian. Every platform Lambda and Node's prebuilt
// ONNX Runtime support is little-endian, so a big-endian host is refused (a 500) rather than served swapped bytes.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const DECIMAL = /^[0-9]+$/;
// fatal: bytes that are not UTF-8 are refused, never replaced. ignoreBOM: a leading EF BB BF is part of the element
// (U+FEFF), not a byte order mark to drop, so the model sees every byte that was sent.
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Whether a binary answer would reach this client as bytes. API Gateway decodes a binary (base64) answer only when
 * the first media type of the request's Accept header is one of the API's binaryMediaTypes; for any other Accept,
 * wildcards and none included, the client receives the base64 text, which no binary tensor data client can read.
 */
export function acceptsBinaryResponse(accept: string | undefined): boolean {
  return accept?.split(',', 1)[0]?.split(';', 1)[0]?.trim().toLowerCase() === BINARY_MEDIA_TYPE;
}

export interface BinaryBody {
  /** The JSON header's bytes. */
  readonly header: Uint8Array;
  /** Everything after the JSON header: the binary tensor data, in the order the header lists the inputs. */
  readonly binary: Uint8Array;
}

/** Splits a request body at the length the `Inference-Header-Content-Length` header gives. */
export function splitBinaryBody(body: Uint8Array, headerLength: string): BinaryBody {
  const text = headerLength.trim();
  const length = DECIMAL.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(length)) {
    throw new BadRequestError(
      `Inference-Header-Content-Length must be the JSON header's length in bytes, a decimal integer, got ${quote(headerLength)}`,
    );
  }
  if (length === 0) {
    throw new BadRequestError(
      'Inference-Header-Content-Length is 0, but this server needs a JSON header before the binary data ' +
        "(requests with no JSON header at all are not supported); send the JSON header's length in bytes",
    );
  }
  if (length > body.byteLength) {
    throw new BadRequestError(
      `Inference-Header-Content-Length is ${length}, but the body has only ${body.byteLength} bytes; it must give ` +
        'the length of the JSON header at the start of the body',
    );
  }
  return { header: body.subarray(0, length), binary: body.subarray(length) };
}

/**
 * The tensor in `bytes` (exactly the input's `binary_data_size` bytes), checked against its shape. Throws
 * BadRequestError naming the input, the bytes received and the bytes the shape needs.
 */
export function decodeBinaryTensorData(
  input: string,
  datatype: Datatype,
  shape: readonly number[],
  bytes: Uint8Array,
): TensorData {
  if (!LITTLE_ENDIAN) throw new Error('binary tensor data needs a little-endian host');
  let size = 1;
  for (const dimension of shape) size *= dimension;
  if (datatype === 'BYTES') return decodeStrings(input, shape, size, bytes);

  const arrayType = ARRAY_TYPES[datatype];
  const elementBytes = arrayType.BYTES_PER_ELEMENT;
  if (bytes.byteLength !== size * elementBytes) {
    throw new BadRequestError(
      `input "${input}": binary_data_size is ${bytes.byteLength} bytes, but shape ${formatShape(shape)} of ` +
        `${datatype} needs ${size * elementBytes} (${size} elements × ${elementBytes} bytes)`,
    );
  }
  const values: TensorData = viewOrCopy<TypedTensorData>(arrayType, bytes);
  if (datatype === 'BOOL') {
    for (let i = 0; i < values.length; i++) {
      if (values[i] > 1) {
        throw new BadRequestError(
          `input "${input}": BOOL element ${i} is the byte ${values[i]}, but binary BOOL elements must be 0 or 1`,
        );
      }
    }
  }
  return values;
}

type TypedTensorData = Exclude<TensorData, readonly string[]>;

interface TypedArrayType<T> {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): T;
  new (length: number): T;
  readonly BYTES_PER_ELEMENT: number;
}

/**
 * A view over the body's memory when the offset allows one (zero copy), else a copy: typed arrays cannot start at
 * an offset that is not a multiple of their element size, and the binary data follows a JSON header of any length.
 */
function viewOrCopy<T extends ArrayBufferView>(type: TypedArrayType<T>, bytes: Uint8Array): T {
  const length = bytes.byteLength / type.BYTES_PER_ELEMENT;
  if (bytes.byteOffset % type.BYTES_PER_ELEMENT === 0) return new type(bytes.buffer, bytes.byteOffset, length);
  const copy = new type(length);
  new Uint8Array(copy.buffer, copy.byteOffset, copy.byteLength).set(bytes);
  return copy;
}

function decodeStrings(input: string, shape: readonly number[], size: number, bytes: Uint8Array): string[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const strings: string[] = [];
  let offset = 0;
  while (offset < bytes.byteLength) {
    const index = strings.length;
    if (index === size) {
      throw new BadRequestError(
        `input "${input}": binary_data_size is ${bytes.byteLength} bytes, but shape ${formatShape(shape)} needs ` +
          `${size} BYTES elements, which end at byte ${offset}; each element is a 4-byte little-endian length and its bytes`,
      );
    }
    if (offset + 4 > bytes.byteLength) {
      throw new BadRequestError(
        `input "${input}": BYTES element ${index} starts at byte ${offset}, but only ${bytes.byteLength - offset} ` +
          `of binary_data_size ${bytes.byteLength} remain for its 4-byte length`,
      );
    }
    const length = view.getUint32(offset, true);
    offset += 4;
    if (offset + length > bytes.byteLength) {
      throw new BadRequestError(
        `input "${input}": BYTES element ${index} declares ${length} bytes, but only ${bytes.byteLength - offset} ` +
          `of binary_data_size ${bytes.byteLength} remain`,
      );
    }
    const element = bytes.subarray(offset, offset + length);
    const problem = bytesElementProblem(element);
    if (problem !== undefined) throw new BadRequestError(`input "${input}": BYTES element ${index} ${problem}`);
    try {
      strings.push(UTF8.decode(element));
    } catch {
      // ONNX Runtime's Node binding takes strings as JavaScript strings, so bytes that are not UTF-8 would reach the
      // model altered; refusing them is the honest answer.
      throw new BadRequestError(
        `input "${input}": BYTES element ${index} is not valid UTF-8; this server passes BYTES to the model as ` +
          'UTF-8 text, so encode binary content as text (base64, for example)',
      );
    }
    offset += length;
  }
  if (strings.length !== size) {
    throw new BadRequestError(
      `input "${input}": binary data holds ${strings.length} BYTES elements, but shape ${formatShape(shape)} needs ${size}`,
    );
  }
  return strings;
}

/** A tensor's raw bytes for a binary output: a view of the tensor's own memory except for BYTES. */
export function encodeBinaryTensorData(tensor: Tensor): Uint8Array {
  if (!LITTLE_ENDIAN) throw new Error('binary tensor data needs a little-endian host');
  const data = tensor.data;
  if (!ArrayBuffer.isView(data)) return encodeStrings(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function encodeStrings(strings: readonly string[]): Uint8Array {
  const encoded = strings.map((text) => Buffer.from(text, 'utf8'));
  let total = 0;
  for (const element of encoded) total += 4 + element.byteLength;
  const out = Buffer.allocUnsafe(total);
  let offset = 0;
  for (const element of encoded) {
    offset = out.writeUInt32LE(element.byteLength, offset);
    offset += element.copy(out, offset);
  }
  return out;
}

export interface BinaryResponseBody {
  /** The JSON header followed by every chunk. */
  readonly body: Buffer;
  /** The value of the response's `Inference-Header-Content-Length`. */
  readonly headerLength: number;
}

/** Serialises `header` as JSON and appends the binary chunks, in output order. */
export function joinBinaryBody(header: unknown, chunks: readonly Uint8Array[]): BinaryResponseBody {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  return { body: Buffer.concat([json, ...chunks]), headerLength: json.byteLength };
}
