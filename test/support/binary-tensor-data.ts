/**
 * Builds and reads binary tensor data bodies as a client would, written from the extension's description rather
 * than from the server's code, so tests check the wire format and not the implementation against itself.
 */

/** The raw little-endian bytes of a typed array (the test hosts are little-endian, as is every Lambda platform). */
export function rawBytes(values: ArrayBufferView): Buffer {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
}

/** BYTES elements: each a 4-byte little-endian length, then its UTF-8 bytes. */
export function bytesElements(strings: readonly string[]): Buffer {
  return Buffer.concat(
    strings.flatMap((text) => {
      const bytes = Buffer.from(text, 'utf8');
      const length = Buffer.alloc(4);
      length.writeUInt32LE(bytes.byteLength);
      return [length, bytes];
    }),
  );
}

/**
 * The body of a binary request and the value of its Inference-Header-Content-Length. `padding` appends spaces to
 * the JSON header (valid JSON whitespace), which moves where the binary data starts: aligned or not.
 */
export function binaryRequest(
  header: object,
  chunks: readonly Uint8Array[],
  padding = 0,
): { body: Buffer; headerLength: number } {
  const json = Buffer.from(JSON.stringify(header) + ' '.repeat(padding), 'utf8');
  return { body: Buffer.concat([json, ...chunks]), headerLength: json.byteLength };
}

export interface BinaryResponseOutput {
  readonly name: string;
  readonly datatype: string;
  readonly shape: number[];
  readonly data?: unknown[];
  readonly parameters?: { readonly binary_data_size: number };
}

/** Splits a binary response into its JSON header and each binary output's bytes, by name. */
export function readBinaryResponse(
  body: Buffer,
  headerLength: number,
): { json: { outputs: BinaryResponseOutput[]; [key: string]: unknown }; binary: Record<string, Buffer> } {
  const json = JSON.parse(body.subarray(0, headerLength).toString('utf8'));
  const binary: Record<string, Buffer> = {};
  let offset = headerLength;
  for (const output of json.outputs as BinaryResponseOutput[]) {
    const size = output.parameters?.binary_data_size;
    if (size === undefined) continue;
    binary[output.name] = body.subarray(offset, offset + size);
    offset += size;
  }
  if (offset !== body.byteLength) throw new Error(`the response has ${body.byteLength - offset} unexplained bytes`);
  return { json, binary };
}
