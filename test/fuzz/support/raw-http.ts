/**
 * HTTP/1.1 over a raw loopback socket: the fuzzer writes requests byte for byte (targets, framing, headers no HTTP
 * library would send) and reads the first answer, or sees the connection close without one.
 */
import { connect } from 'node:net';
import type { Answer } from './answer';
import { REQUEST_TIMEOUT_MS } from './fuzz-settings';

export interface RawResult {
  /** The first complete answer, or undefined when the server closed the connection without one. */
  readonly answer?: Answer;
  /** Everything the server sent. */
  readonly raw: Buffer;
}

export interface RawOptions {
  /** Half-close (send FIN) once the request is written: the client has nothing more to send. */
  readonly halfClose?: boolean;
  /** The request is HEAD, whose answer has no body whatever its Content-Length says. */
  readonly head?: boolean;
  readonly timeoutMs?: number;
}

/** Sends `request` to 127.0.0.1:`port` and resolves with the first answer; rejects when none comes in time. */
export function rawRequest(port: number, request: Buffer, options: RawOptions = {}): Promise<RawResult> {
  const timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    let received = Buffer.alloc(0);
    const finish = (result: RawResult | Error) => {
      clearTimeout(timer);
      socket.destroy();
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const timer = setTimeout(() => {
      const what = request.subarray(0, 80).toString('latin1').split('\r\n')[0];
      finish(new Error(`no answer and no close within ${timeoutMs} ms (a hang): ${JSON.stringify(what)}`));
    }, timeoutMs);
    socket.on('connect', () => {
      socket.write(request);
      if (options.halfClose) socket.end();
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const answer = parseAnswer(received, options.head ?? false, false);
      if (answer !== undefined) finish({ answer, raw: received });
    });
    const closed = () => finish({ answer: parseAnswer(received, options.head ?? false, true), raw: received });
    socket.on('end', closed);
    socket.on('close', closed);
    // A reset while the request is still being written is the server refusing it: report what arrived, if anything.
    socket.on('error', closed);
  });
}

/** The first answer in `bytes` once it is complete (or, at `end`, whatever body arrived before the close). */
export function parseAnswer(bytes: Buffer, head: boolean, end: boolean): Answer | undefined {
  const headEnd = bytes.indexOf('\r\n\r\n');
  if (headEnd < 0) return undefined;
  const [statusLine = '', ...lines] = bytes.subarray(0, headEnd).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  if (!Number.isInteger(status)) return undefined;
  // 1xx answers (100 Continue) come before the real one.
  if (status < 200) return parseAnswer(bytes.subarray(headEnd + 4), head, end);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rest = bytes.subarray(headEnd + 4);
  if (head || status === 204 || status === 304) return { status, headers, body: Buffer.alloc(0) };
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    const body = dechunk(rest);
    return body === undefined ? (end ? { status, headers, body: rest } : undefined) : { status, headers, body };
  }
  const length = headers['content-length'];
  if (length !== undefined) {
    const size = Number(length);
    if (rest.byteLength >= size) return { status, headers, body: rest.subarray(0, size) };
    return end ? { status, headers, body: rest } : undefined;
  }
  return end ? { status, headers, body: rest } : undefined;
}

function dechunk(bytes: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', offset);
    if (lineEnd < 0) return undefined;
    const size = Number.parseInt(bytes.subarray(offset, lineEnd).toString('latin1'), 16);
    if (!Number.isInteger(size)) return undefined;
    if (size === 0) return Buffer.concat(parts);
    if (lineEnd + 2 + size + 2 > bytes.byteLength) return undefined;
    parts.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
}

/** An HTTP/1.1 request's bytes: request line, headers (as given, in order), blank line, body. */
export function requestBytes(
  requestLine: string,
  headers: readonly [string, string][],
  body: Buffer = Buffer.alloc(0),
): Buffer {
  const head = [requestLine, ...headers.map(([name, value]) => `${name}: ${value}`)].join('\r\n');
  return Buffer.concat([Buffer.from(`${head}\r\n\r\n`, 'latin1'), body]);
}

/** A body in chunked transfer coding, cut at the given sizes (the rest in one last chunk). */
export function chunked(body: Buffer, sizes: readonly number[]): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  for (const size of [...sizes, body.byteLength]) {
    const piece = body.subarray(offset, offset + size);
    if (piece.byteLength === 0) continue;
    parts.push(Buffer.from(`${piece.byteLength.toString(16)}\r\n`, 'latin1'), piece, Buffer.from('\r\n', 'latin1'));
    offset += piece.byteLength;
    if (offset >= body.byteLength) break;
  }
  parts.push(Buffer.from('0\r\n\r\n', 'latin1'));
  return Buffer.concat(parts);
}
