/**
 * SHA-256 and HMAC-SHA-256 for the SigV4 signer on the Web Crypto API, which browsers and Node.js 20 both have
 * (`globalThis.crypto.subtle`): the client then needs neither node:crypto nor a JavaScript hash package. The signer
 * only calls `update` and `digest`, with a secret for HMAC and without for a plain hash.
 */
import type { Checksum, SourceData } from '@smithy/types';

const UTF8 = new TextEncoder();

function bytesOf(data: SourceData): Uint8Array {
  if (typeof data === 'string') return UTF8.encode(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

export class WebCryptoSha256 implements Checksum {
  private chunks: Uint8Array[] = [];
  private readonly secret: Uint8Array | undefined;

  constructor(secret?: SourceData) {
    this.secret = secret === undefined ? undefined : bytesOf(secret);
  }

  update(data: Uint8Array | SourceData): void {
    // A copy: the caller may reuse its buffer before digest() runs.
    this.chunks.push(bytesOf(data).slice());
  }

  async digest(): Promise<Uint8Array> {
    const subtle = globalThis.crypto?.subtle;
    if (subtle === undefined) {
      throw new Error(
        'SigV4 signing needs the Web Crypto API (crypto.subtle): use Node.js 20+ or a page served over HTTPS',
      );
    }
    const data = concat(this.chunks);
    if (this.secret === undefined) return new Uint8Array(await subtle.digest('SHA-256', data));
    const key = await subtle.importKey('raw', this.secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    return new Uint8Array(await subtle.sign('HMAC', key, data));
  }

  reset(): void {
    this.chunks = [];
  }
}

function concat(chunks: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  let length = 0;
  for (const chunk of chunks) length += chunk.byteLength;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
