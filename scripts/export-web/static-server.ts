import { createReadStream, statSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  // WebAssembly.instantiateStreaming refuses any other type.
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
};

/**
 * A static host for exported bundles on loopback, as a browser would meet them on any web server: files under `root`
 * by path, and `/v2/...` passed to the API at `apiUrl`, so that a bundle's endpoint fallback is same-origin (the local
 * twin sends no CORS headers; a deployed API would need them for a page on another origin). For tests and the
 * benchmark only: it serves any file under root and nothing else.
 */
export async function serveBundles(root: string, apiUrl?: string): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (apiUrl !== undefined && url.pathname.startsWith('/v2/')) {
      const upstream = httpRequest(
        new URL(url.pathname + url.search, apiUrl),
        { method: request.method, headers: request.headers },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        },
      );
      upstream.on('error', () => response.writeHead(502).end());
      request.pipe(upstream);
      return;
    }
    const file = path.join(root, path.normalize(decodeURIComponent(url.pathname)));
    const type = CONTENT_TYPES[path.extname(file)];
    if (
      !file.startsWith(root + path.sep) ||
      type === undefined ||
      !statSync(file, { throwIfNoEntry: false })?.isFile()
    ) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    response.writeHead(200, { 'content-type': type });
    createReadStream(file).pipe(response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
