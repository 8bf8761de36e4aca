import { createServer, type IncomingMessage, maxHeaderSize, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { quote } from '../protocol/json';
import { answerAndClose, isClosing } from './answer-and-close';
import { DEFAULT_SPIN_WAIT_MS, spinWait } from './spin-wait';

type Listener = (request: IncomingMessage, response: ServerResponse) => void;

export interface HttpServerOptions {
  /** How long one core spins after each request, for the next one's sake (spin-wait.ts); 0 turns it off. */
  readonly spinWaitMs?: number;
}

/**
 * An HTTP server for the local twin and the SageMaker container, with what Node's defaults lack for hostile or
 * unusual clients:
 * - a client that half-closes its side after sending the request (a shell's `nc -N`, some proxies) gets its answer:
 *   Node's default ends the connection at once, before an asynchronous answer is written;
 * - what Node's HTTP parser refuses (a malformed request line or header, a body cut short before its Content-Length,
 *   headers over the size limit, a request too slow to arrive) is answered with the protocol's `{"error"}` body
 *   instead of a bare status line, whenever the connection can still carry an answer;
 * - `Expect: 100-continue` is left to the listener (`readBody`), so that an oversized body is refused before it is
 *   sent; any other expectation gets the 417 Node would send, with the `{"error"}` body.
 * It also keeps a core awake between one client's requests (spin-wait.ts), unless `spinWaitMs` is 0.
 */
export function createHttpServer(listener: Listener, options: HttpServerOptions = {}): Server {
  const answering = new WeakMap<Socket, ServerResponse>();
  const spinner = spinWait(options.spinWaitMs ?? DEFAULT_SPIN_WAIT_MS);
  // One listener that does all: with several, every request's event copies the listener list before calling them.
  const answer: Listener = (request, response) => {
    if (spinner !== undefined) {
      spinner.requestStarted();
      // 'close' comes once per answer, whether it was sent in full or its connection was lost.
      response.on('close', spinner.requestEnded);
    }
    answering.set(request.socket, response);
    listener(request, response);
  };
  const server = createServer(answer);
  // Undocumented but public, and the only switch: with it, Node's HTTP server keeps the connection open for the
  // answer when the client ends its side, and closes it after that answer.
  Object.assign(server, { httpAllowHalfOpen: true });
  server.on('checkContinue', answer);
  server.on('checkExpectation', (request: IncomingMessage) => {
    const expectation = request.headers.expect ?? '';
    answerAndClose(
      request.socket,
      417,
      `the expectation ${quote(expectation)} cannot be met: this server only understands Expect: 100-continue; leave the header out`,
    );
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (isClosing(socket)) return;
    // An answer already under way cannot be followed by another on the same connection without corrupting it.
    const inFlight = answering.get(socket);
    if (!socket.writable || (inFlight?.headersSent && !inFlight.writableFinished)) {
      socket.destroy();
      return;
    }
    const refusal = clientErrorAnswer(error);
    if (refusal === undefined) socket.destroy();
    else answerAndClose(socket, refusal.statusCode, refusal.message);
  });
  return server;
}

/** The answer to an error of Node's HTTP parser, or undefined when the client is gone (a reset connection). */
function clientErrorAnswer(
  error: NodeJS.ErrnoException & { readonly reason?: string },
): { readonly statusCode: number; readonly message: string } | undefined {
  switch (error.code) {
    case 'ECONNRESET':
    case 'EPIPE':
      return undefined;
    case 'HPE_HEADER_OVERFLOW':
      return {
        statusCode: 431,
        message: `the request line and headers are over ${maxHeaderSize} bytes; send fewer or shorter headers`,
      };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { statusCode: 408, message: 'the request did not arrive in time; send it again, all at once' };
    case 'HPE_INVALID_EOF_STATE':
      return {
        statusCode: 400,
        message:
          'the connection ended before the whole request body arrived; send as many bytes as Content-Length says',
      };
    case 'HPE_INVALID_CONTENT_LENGTH':
      return { statusCode: 400, message: 'the Content-Length header is not one decimal number of bytes' };
    default:
      // Node's reason names the part of the request it could not parse ("Invalid method encountered"), not its bytes.
      return {
        statusCode: 400,
        message: `the request is not valid HTTP/1.1 (${error.reason ?? error.code ?? 'unparseable'}); check the request line and headers`,
      };
  }
}
