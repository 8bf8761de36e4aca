import { connect } from 'node:net';

/** An HTTP/1.1 answer as read off the wire, with the header names lowercased. */
export interface RawAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** The body parsed as JSON; undefined when it is not JSON. */
  readonly json: unknown;
}

interface ExchangeOptions {
  /** End the client's side after sending (a half-close), then wait for the answer. @default false */
  readonly halfClose?: boolean;
  /** After the request text, keep sending this many body bytes as fast as the server takes them. @default 0 */
  readonly streamBytes?: number;
  /** Frame the streamed bytes as chunks (Transfer-Encoding: chunked). @default false */
  readonly chunked?: boolean;
  /** Read nothing of the answer for this long (a client busy sending, or a slow one), then read it. @default 0 */
  readonly readDelayMs?: number;
}

/**
 * Sends `request` as raw bytes on a new connection (framing a client library would refuse or fix) and reads until
 * the first complete answer or the end of the connection. Rejects when the connection ends with no answer, or after
 * 10 s.
 */
export function rawExchange(port: number, request: string, options: ExchangeOptions = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    // The answer to HEAD has GET's Content-Length and no body.
    const head = request.startsWith('HEAD ');
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => finish(new Error('no answer within 10 s')), 10_000);
    const finish = (error?: Error, answer?: RawAnswer) => {
      clearTimeout(timer);
      socket.destroy();
      if (answer !== undefined) resolve(answer);
      else
        reject(
          error ?? new Error(`the connection ended without a whole answer: ${JSON.stringify(received.toString())}`),
        );
    };
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const answer = parseAnswer(received, head);
      if (answer !== undefined) finish(undefined, answer);
    });
    // A reset after the answer arrived is the server closing a connection that still had data coming; the answer counts.
    socket.on('error', () => finish(undefined, parseAnswer(received, head)));
    socket.on('close', () => finish(undefined, parseAnswer(received, head)));
    if (options.readDelayMs !== undefined) {
      socket.pause();
      setTimeout(() => socket.resume(), options.readDelayMs);
    }
    socket.write(request);
    if (options.streamBytes !== undefined) stream(socket, options.streamBytes, options.chunked ?? false);
    else if (options.halfClose) socket.end();
  });
}

function stream(socket: ReturnType<typeof connect>, bytes: number, chunked: boolean): void {
  const chunk = Buffer.alloc(64 * 1024, 0x31);
  const framed = chunked
    ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')])
    : chunk;
  let sent = 0;
  const pump = () => {
    while (sent < bytes && socket.writable) {
      sent += chunk.length;
      if (!socket.write(framed)) {
        socket.once('drain', pump);
        return;
      }
    }
  };
  pump();
}

/** The first answer in these bytes, once its headers and its Content-Length of body have arrived. */
function parseAnswer(bytes: Buffer, head: boolean): RawAnswer | undefined {
  const text = bytes.toString('latin1');
  let start = 0;
  // Skip interim answers (100 Continue).
  while (text.startsWith('HTTP/1.1 1', start)) {
    const end = text.indexOf('\r\n\r\n', start);
    if (end === -1) return undefined;
    start = end + 4;
  }
  const headerEnd = text.indexOf('\r\n\r\n', start);
  if (headerEnd === -1) return undefined;
  const [statusLine = '', ...lines] = text.slice(start, headerEnd).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = head ? 0 : Number(headers['content-length'] ?? 0);
  const bodyBytes = bytes.subarray(headerEnd + 4);
  if (bodyBytes.byteLength < length) return undefined;
  const body = bodyBytes.subarray(0, length).toString('utf8');
  return { status: Number(statusLine.split(' ')[1]), headers, body, json: parseJson(body) };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
