import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A function as the fake Lambda service runs it: the event in, the result out; throwing is a function error. */
export type FunctionCode = (event: unknown) => Promise<unknown>;

export interface LambdaInvokeServer {
  readonly endpoint: string;
  /** FunctionName of every invocation received, as the client sent it (a qualified ARN here). */
  readonly invoked: string[];
  close(): Promise<void>;
}

/**
 * Lambda's Invoke API (`POST /2015-03-31/functions/<name>/invocations`, RequestResponse) on loopback, running the
 * given code in-process: the SDK's real request and response handling, with a function error answered as Lambda
 * does (status 200, `X-Amz-Function-Error: Unhandled`, `{"errorType", "errorMessage"}`) and an unknown function as
 * a ResourceNotFoundException.
 */
export async function startLambdaInvokeServer(
  functions: Readonly<Record<string, FunctionCode>>,
): Promise<LambdaInvokeServer> {
  const invoked: string[] = [];
  const server: Server = createServer((request, response) => {
    void (async () => {
      const body = await readAll(request);
      const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(
        new URL(request.url ?? '/', 'http://x').pathname,
      );
      if (request.method !== 'POST' || match === null) {
        response.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"unknown operation"}');
        return;
      }
      const name = decodeURIComponent(match[1]);
      invoked.push(name);
      const code = functions[name];
      if (code === undefined) {
        response
          .writeHead(404, { 'content-type': 'application/json', 'x-amzn-errortype': 'ResourceNotFoundException' })
          .end(JSON.stringify({ Type: 'User', message: `Function not found: ${name}` }));
        return;
      }
      try {
        const result = await code(JSON.parse(body.toString('utf8')));
        response
          .writeHead(200, { 'content-type': 'application/json', 'x-amz-executed-version': '1' })
          .end(JSON.stringify(result));
      } catch (error) {
        response
          .writeHead(200, { 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' })
          .end(JSON.stringify({ errorType: (error as Error).name, errorMessage: (error as Error).message, trace: [] }));
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    invoked,
    close: () => closeServer(server),
  };
}

export async function readAll(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
