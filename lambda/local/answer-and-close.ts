import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';

/**
 * After the answer, the client's remaining bytes are read and dropped for up to this long and this many bytes before
 * the socket is destroyed: closing a socket with unread data makes the kernel reset the connection, and a reset can
 * destroy the answer on its way to a client that is still sending. A client that reads the answer (or sees the
 * connection end) stops sending and closes first.
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
 * the caller has made sure that no other answer has started on this connection.
 */
export function answerAndClose(socket: Socket, statusCode: number, message: string): void {
  if (closing.has(socket)) return;
  closing.add(socket);
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify({ error: message });
  socket.end(
    `HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode] ?? 'Error'}\r\n` +
      'content-type: application/json\r\n' +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      `date: ${new Date().toUTCString()}\r\n` +
      'connection: close\r\n\r\n' +
      body,
  );
  let lingered = 0;
  const destroy = () => socket.destroy();
  const timer = setTimeout(destroy, LINGER_MS);
  timer.unref();
  socket.on('data', (chunk: Buffer) => {
    lingered += chunk.byteLength;
    if (lingered > LINGER_BYTES) destroy();
  });
  socket.once('end', destroy);
  socket.once('close', () => clearTimeout(timer));
  socket.resume();
}
