import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';

/**
 * After the answer, the client's remaining bytes are read and dropped, up to LINGER_BYTES, and the socket is destroyed
 * after LINGER_MS: closing a socket with unread data makes the kernel reset the connection, and a reset discards an
 * answer the client has received but not yet read. Past LINGER_BYTES the socket stops reading instead of closing, so
 * TCP flow control holds a client that is still sending while it reads the answer. A client that reads the answer (or
 * sees the connection end) stops sending and closes first.
 */
const LINGER_MS = 2_000;
const LINGER_BYTES = 1024 * 1024;

/** Sockets answered by answerAndClose: whatever else they send or do until they close gets no second answer. */
const closing = new WeakSet<Socket>();

export function isClosing(socket: Socket): boolean {
  return closing.has(socket);
}

/**
 * Answers `{"error": message}` with `Connection: close` directly on the socket, then closes it after a short, bounded
 * linger. Written raw because it also answers what Node's HTTP parser refused, for which no ServerResponse exists;
 * the caller has made sure that no other answer has started on this connection. `body` is the refused request's body
 * stream when Node's parser is still delivering it: it is drained with the socket, and paused with it, since a flowing
 * request body resumes its socket.
 */
export function answerAndClose(socket: Socket, statusCode: number, message: string, body?: Readable): void {
  if (closing.has(socket)) return;
  closing.add(socket);
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const answer = JSON.stringify({ error: message });
  socket.end(
    `HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode] ?? 'Error'}\r\n` +
      'content-type: application/json\r\n' +
      `content-length: ${Buffer.byteLength(answer)}\r\n` +
      `date: ${new Date().toUTCString()}\r\n` +
      'connection: close\r\n\r\n' +
      answer,
  );
  let lingered = 0;
  const destroy = () => socket.destroy();
  const timer = setTimeout(destroy, LINGER_MS);
  timer.unref();
  socket.on('data', (chunk: Buffer) => {
    lingered += chunk.byteLength;
    if (lingered > LINGER_BYTES) {
      body?.pause();
      socket.pause();
    }
  });
  socket.once('end', destroy);
  socket.once('close', () => clearTimeout(timer));
  body?.resume();
  socket.resume();
}
