/**
 * The binary tensor data extension on the client side, with browser APIs only (TextEncoder, DataView): the server's
 * lambda/protocol/binary-tensor-data.ts uses Node's Buffer. Layout: a JSON header, then each binary tensor's bytes in
 * the header's order; little-endian, row-major; BYTES elements as a 4-byte little-endian length and their UTF-8 bytes.
 */
import type { Datatype } from '../contract/datatypes';
import { ARRAY_TYPES, type TensorData } from '../lambda/protocol/tensor';

export { BINARY_MEDIA_TYPE } from '../contract/limits';
export const INFERENCE_HEADER_CONTENT_LENGTH = 'inference-header-content-length';

const UTF8_ENCODER = new TextEncoder();
const UTF8_DECODER = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A tensor's wire bytes: a view over a typed array's memory, or the length-prefixed BYTES encoding. */
export function tensorBytes(data: TensorData): Uint8Array {
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const encoded = data.map((text) => UTF8_ENCODER.encode(text));
  let total = 0;
  for (const element of encoded) total += 4 + element.byteLength;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const element of encoded) {
    view.setUint32(offset, element.byteLength, true);
    out.set(element, offset + 4);
    offset += 4 + element.byteLength;
  }
  return out;
}

/** The JSON header followed by the chunks, and the header's length for Inference-Header-Content-Length. */
export function joinBinaryBody(
  header: unknown,
  chunks: readonly Uint8Array[],
): { body: Uint8Array; headerLength: number } {
  const json = UTF8_ENCODER.encode(JSON.stringify(header));
  let total = json.byteLength;
  for (const chunk of chunks) total += chunk.byteLength;
  const body = new Uint8Array(total);
  body.set(json, 0);
  let offset = json.byteLength;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { body, headerLength: json.byteLength };
}

/** Typed contents of a binary output (a copy, so that it is aligned and outlives the response body). */
export function decodeTensorBytes(name: string, datatype: Datatype, bytes: Uint8Array): TensorData {
  if (datatype === 'BYTES') {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const strings: string[] = [];
    let offset = 0;
    while (offset < bytes.byteLength) {
      const length = view.getUint32(offset, true);
      strings.push(UTF8_DECODER.decode(bytes.subarray(offset + 4, offset + 4 + length)));
      offset += 4 + length;
    }
    return strings;
  }
  const type = ARRAY_TYPES[datatype];
  if (bytes.byteLength % type.BYTES_PER_ELEMENT !== 0) {
    throw new Error(
      `the server's binary output "${name}" has ${bytes.byteLength} bytes, not a whole number of ${datatype} elements`,
    );
  }
  const copy = new type(bytes.byteLength / type.BYTES_PER_ELEMENT);
  new Uint8Array(copy.buffer).set(bytes);
  return copy;
}
