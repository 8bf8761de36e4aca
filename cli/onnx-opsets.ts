/**
 * The operator sets an ONNX model imports (ModelProto.opset_import: domain and version), read from the protobuf
 * wire format by skipping every other field by its length, so a big model's weights are never decoded.
 */
export interface OpsetImport {
  /** "" is the default domain, ai.onnx. */
  readonly domain: string;
  readonly version: number;
}

const MODEL_OPSET_IMPORT = 8;
const OPSET_DOMAIN = 1;
const OPSET_VERSION = 2;

export function readOpsetImports(model: Uint8Array): OpsetImport[] {
  const opsets: OpsetImport[] = [];
  for (const field of fields(model)) {
    if (field.number !== MODEL_OPSET_IMPORT || !(field.value instanceof Uint8Array)) continue;
    let domain = '';
    let version = 0;
    for (const inner of fields(field.value)) {
      if (inner.number === OPSET_DOMAIN && inner.value instanceof Uint8Array)
        domain = new TextDecoder().decode(inner.value);
      if (inner.number === OPSET_VERSION && typeof inner.value === 'number') version = inner.value;
    }
    opsets.push({ domain, version });
  }
  return opsets;
}

function* fields(bytes: Uint8Array): Generator<{ number: number; value: number | Uint8Array | undefined }> {
  let offset = 0;
  const varint = (): number => {
    let result = 0;
    let scale = 1;
    for (;;) {
      if (offset >= bytes.byteLength)
        throw new Error('not an ONNX model: a protobuf field runs past the end of the file');
      const byte = bytes[offset++];
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 128;
    }
  };
  while (offset < bytes.byteLength) {
    const tag = varint();
    const wire = tag % 8;
    const number = Math.floor(tag / 8);
    if (wire === 0) yield { number, value: varint() };
    else if (wire === 1) {
      offset += 8;
      yield { number, value: undefined };
    } else if (wire === 2) {
      const length = varint();
      const value = bytes.subarray(offset, offset + length);
      offset += length;
      yield { number, value };
    } else if (wire === 5) {
      offset += 4;
      yield { number, value: undefined };
    } else throw new Error(`not an ONNX model: protobuf wire type ${wire} at byte ${offset}`);
  }
}
