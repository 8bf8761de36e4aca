import './local/local-defaults';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { type ApiGatewayHandler, createApiGatewayHandler } from './api-gateway-handler';
import { answerAndClose } from './local/answer-and-close';
import { isBinaryBody, localLambdaContext, toApiGatewayEvent } from './local/api-gateway-event';
import type { CaptureFolder } from './local/capture-folder';
import { createHttpServer } from './local/http-server';
import { listen } from './local/listen';
import { loadModels } from './local/load-models';
import { capturingHandler } from './local/local-capture';
import { HelpRequested, type LocalCaptureOption, type LocalServerOptions, parseOptions, USAGE } from './local/options';
import { createPlayground } from './local/playground/playground-routes';
import { BodyTooLargeError, ClientClosedError, checkEventBodySize, eventBodyLimit, readBody } from './local/read-body';
import { flushRequestLog, logRequest } from './local/request-log';
import { BadRequestTargetError, parseRequestTarget } from './local/request-target';
import { selectServedVersions, unservedVersionMessage } from './local/served-versions';
import { watchModelFiles } from './local/watch-model-files';
import { ModelRegistry } from './model/model-registry';
import { localModels, type ModelSource } from './model/model-source';
import { onnxBackends } from './model/onnx-backend';
import { serverPlacement } from './model/server-placement';
import { LocalShadow, liveSources } from './shadow/local-shadow';
import type { ShadowOption } from './shadow/shadow-option';

/**
 * The local twin: serves the models of a repository folder with the same handler that runs in Lambda, by turning
 * each HTTP request into the API Gateway event AWS would send, and refuses what AWS would refuse (bodies over
 * Lambda's limit once encoded, versions a deploy does not serve). `npm start -- --help` lists the options.
 */
export async function startLocalServer(
  options: ServeOptions & { readonly modelsDir: string },
  print: (line: string) => void = console.log,
  warn: (line: string) => void = console.warn,
): Promise<LocalServer> {
  const { sources, warnings } = localModels(options.modelsDir);
  // Before the models load: what the repository holds that cannot be served is news the user needs first.
  for (const warning of warnings) warn(`warning: ${warning}`);
  if (sources.length === 0) {
    throw new Error(`no models in ${options.modelsDir}: add one as <name>/<version>/model.onnx`);
  }
  return serveModels(sources, options, print, warn);
}

interface ServeOptions {
  readonly port: number;
  readonly host: string;
  /** Serve every version, not only the highest of each model. @default false */
  readonly allVersions?: boolean;
  /** Print one line per request to stdout. @default true */
  readonly logRequests?: boolean;
  /** Candidate versions that get a copy of live inferences once they are answered. @default - none */
  readonly shadow?: readonly ShadowOption[];
  /** Capture inferences and feedback into a folder. @default - no capture */
  readonly capture?: LocalCaptureOption;
  /** At most this many model versions hold a session at once. @default - no limit */
  readonly maxLoadedModels?: number;
  /** How long a core spins after each request for the next (spin-wait.ts); 0 turns it off. @default 2 */
  readonly spinWaitMs?: number;
}

export interface LocalServer {
  readonly server: Server;
  readonly registry: ModelRegistry;
  readonly shadow?: LocalShadow;
  /** Where captures go; `flush()` waits for the records queued so far. */
  readonly capture?: CaptureFolder;
}

/**
 * Serves these model versions (all, or the highest of each model): listens first, then loads them. `warn` gets what
 * happens later that the user should know: a client gone mid-request, a served model file changed on disk.
 */
export async function serveModels(
  sources: readonly ModelSource[],
  options: ServeOptions,
  print: (line: string) => void,
  warn: (line: string) => void = console.warn,
): Promise<LocalServer> {
  // A shadow candidate is never served live, as in a deploy: the highest of the other versions is.
  const versions = selectServedVersions(liveSources(sources, options.shadow ?? []), options.allVersions ?? false);
  let loaded = false;
  // The shared worker pool, with small models' cheapest runs on the event loop (server-placement.ts).
  const registry = new ModelRegistry(
    onnxBackends(
      versions.served,
      serverPlacement(() => !loaded),
    ),
    {
      unservedVersionMessage: unservedVersionMessage(versions),
      ...(options.maxLoadedModels !== undefined && { maxLoadedModels: options.maxLoadedModels }),
    },
  );
  const capture =
    options.capture === undefined
      ? undefined
      : capturingHandler(registry, versions.served, options.capture, print, warn);
  const handler = capture?.handler ?? createApiGatewayHandler(registry);
  let shadow: LocalShadow | undefined;
  // Only while shadow testing: a listener per answer otherwise costs every request for nothing.
  const afterAnswer: Twin['afterAnswer'] = () => {
    const current = shadow;
    return current === undefined ? undefined : (event, result) => void current.afterAnswer(event, result);
  };
  const playground = createPlayground(registry, versions.served);
  const twin: Twin = {
    handler,
    loaded: () => loaded,
    logRequests: options.logRequests ?? true,
    warn,
    afterAnswer,
    playground,
  };
  const server = createHttpServer(
    (request, response) => {
      void serveHttp(twin, request, response);
    },
    { ...(options.spinWaitMs !== undefined && { spinWaitMs: options.spinWaitMs }) },
  );
  // Listening before the models load reports a port in use at once; until they are loaded, readiness is 503 and
  // other requests wait for the load, as they wait for a Lambda function's init.
  await listen(server, options.port, options.host);
  try {
    await loadModels(registry, versions.served, serverUrl(server, options.host), print);
    if (options.shadow?.length) shadow = await LocalShadow.start(sources, options.shadow, print);
  } catch (error) {
    server.close();
    server.closeAllConnections();
    await registry.release();
    throw error;
  }
  loaded = true;
  const stopWatching = watchModelFiles(versions.served, warn);
  server.once('close', stopWatching);
  return { server, registry, ...(shadow && { shadow }), ...(capture && { capture: capture.folder }) };
}

interface Twin {
  readonly handler: ApiGatewayHandler;
  readonly logRequests: boolean;
  readonly warn: (line: string) => void;
  loaded(): boolean;
  /** What to run once an answer has gone to the client (shadow testing), if anything. */
  afterAnswer(): ((event: APIGatewayProxyEvent, result: APIGatewayProxyResult) => void) | undefined;
  /** The page at `/` (twin only): its answer for a path of its own, undefined for the API's paths. */
  playground: ReturnType<typeof createPlayground>;
}

async function serveHttp(twin: Twin, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const started = performance.now();
  // Undefined once the client is gone: nothing was answered, so the request log has no status to show.
  let statusCode: number | undefined = 500;
  try {
    const target = parseRequestTarget(request.url ?? '/');
    const pageAnswer = twin.playground(request.method, target.path);
    if (pageAnswer !== undefined) {
      const page = await pageAnswer;
      statusCode = writeAnswer(response, page.status, page.body, page.headers);
      return;
    }
    // Until the models are loaded, readiness answers at once instead of waiting for the load as other requests do.
    const probe = request.method === 'GET' || request.method === 'HEAD';
    if (!twin.loaded() && probe && target.path === '/v2/health/ready') {
      statusCode = writeJson(response, 503, { ready: false });
      return;
    }
    const binary = isBinaryBody(request.headers['content-type']);
    const body = await readBody(request, response, eventBodyLimit(binary));
    checkEventBodySize(body, binary);
    const event = toApiGatewayEvent(request, target, body, binary);
    const result = await twin.handler(event, localLambdaContext(event.requestContext.requestId));
    // The handler only sets string headers; the proxy result's type also allows numbers and booleans.
    const headers = (result.headers ?? {}) as Record<string, string>;
    const afterAnswer = twin.afterAnswer();
    if (afterAnswer !== undefined) response.once('finish', () => afterAnswer(event, result));
    const answer = result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body;
    statusCode = writeAnswer(response, result.statusCode, answer, headers);
  } catch (error) {
    if (error instanceof BadRequestTargetError) {
      statusCode = writeJson(response, 400, { error: error.message });
      return;
    }
    if (error instanceof BodyTooLargeError) {
      // The answer goes out at once; the rest of the body is not read, beyond a short bounded linger.
      statusCode = 413;
      return answerAndClose(request.socket, 413, error.message, request);
    }
    if (error instanceof ClientClosedError) {
      // The client's choice, not the server's failure: one line, and no status, since nothing was answered.
      statusCode = undefined;
      return twin.warn(`local server: ${request.method} ${request.url}: ${error.message}`);
    }
    console.error(`local server: ${request.method} ${request.url} failed: ${(error as Error).stack}`);
    statusCode = 500;
    if (!response.headersSent) {
      writeJson(response, 500, { error: 'internal error in the local server; see its log' });
      return;
    }
    response.end();
  } finally {
    if (twin.logRequests && statusCode !== undefined) {
      logRequest(request.method, request.url, statusCode, performance.now() - started);
    }
  }
}

/**
 * Writes a whole answer and returns its status. Module functions rather than closures over each request: two
 * closures and their shared context were allocated per request only to be called once.
 */
function writeAnswer(
  response: ServerResponse,
  status: number,
  body: string | Buffer,
  headers: Readonly<Record<string, string>> = {},
): number {
  // An explicit length: no chunked encoding for an answer known in full, and HEAD gets GET's length. A flat list of
  // names and values, which Node writes as it is, instead of a copy of the headers object per answer.
  const head: string[] = [];
  for (const name in headers) head.push(name, headers[name] as string);
  head.push('content-length', String(Buffer.byteLength(body)));
  response.writeHead(status, head);
  response.end(body);
  return status;
}

function writeJson(response: ServerResponse, status: number, body: object): number {
  return writeAnswer(response, status, JSON.stringify(body), { 'content-type': 'application/json' });
}

function serverUrl(server: Server, host: string): string {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Parses the command line, starts the server and stops it cleanly on SIGINT or SIGTERM. */
export async function main(): Promise<void> {
  let options: LocalServerOptions | HelpRequested;
  try {
    options = parseOptions(process.argv.slice(2), process.env);
  } catch (error) {
    console.error(`model-endpoint local server: ${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (options instanceof HelpRequested) {
    process.stdout.write(USAGE);
    return;
  }
  let started: Awaited<ReturnType<typeof startLocalServer>>;
  try {
    started = await startLocalServer(options);
  } catch (error) {
    console.error(`model-endpoint local server cannot start: ${(error as Error).message}`);
    process.exit(1);
  }
  const { server, registry, capture } = started;
  const url = serverUrl(server, options.host);
  console.log(`serving ${registry.modelNames.join(', ')} on ${url} (Open Inference Protocol v2)`);
  console.log(`playground: ${url}/ (a page to try the models; the local server's only, never deployed)`);

  let stopping = false;
  const shutdown = (signal: string) => {
    // A terminal's Ctrl-C reaches npm and the server alike, and npm then forwards it: the same signal often arrives
    // twice. Handling every one (and acting on the first) keeps the second from killing the process mid-shutdown.
    if (stopping) return;
    stopping = true;
    flushRequestLog();
    console.log(`${signal}: shutting down`);
    server.close(() => {
      void Promise.all([registry.release(), capture?.flush()]).then(() => {
        console.log('stopped');
        process.exit(0);
      });
    });
    server.closeIdleConnections();
    // In-flight requests get a moment to finish; a stuck client must not keep the process alive.
    setTimeout(() => process.exit(0), 5_000).unref();
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

if (require.main === module) void main();
