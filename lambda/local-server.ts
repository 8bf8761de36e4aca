import './local/local-defaults';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';
import { type ApiGatewayHandler, createApiGatewayHandler } from './api-gateway-handler';
import { localLambdaContext, toApiGatewayEvent } from './local/api-gateway-event';
import { BodyTooLargeError, readBody } from './local/read-body';
import { flushRequestLog, logRequest } from './local/request-log';
import { ModelRegistry } from './model/model-registry';
import { localModels } from './model/model-source';

/**
 * The local twin: serves every model of a repository folder with the same handler that runs in Lambda, by turning
 * each HTTP request into the API Gateway event AWS would send.
 *
 *   npm start -- [--port 8080] [--host 127.0.0.1] [--models models]     (or PORT, HOST, MODELS_DIR)
 */
interface LocalServerOptions {
  readonly port: number;
  readonly host: string;
  readonly modelsDir: string;
}

function parseOptions(argv: string[], env: NodeJS.ProcessEnv): LocalServerOptions {
  const { values } = parseArgs({
    args: argv,
    options: { port: { type: 'string' }, host: { type: 'string' }, models: { type: 'string' } },
  });
  // An empty variable counts as unset, as in a shell's ${PORT:-8080}.
  const portText = values.port ?? (env.PORT || '8080');
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port must be an integer from 0 to 65535, got "${portText}"`);
  }
  // Loopback by default: the local twin has no authentication, so exposing it on the network is an explicit choice.
  return {
    port,
    host: values.host ?? (env.HOST || '127.0.0.1'),
    modelsDir: values.models ?? (env.MODELS_DIR || 'models'),
  };
}

export async function startLocalServer(
  options: LocalServerOptions,
): Promise<{ server: Server; registry: ModelRegistry; warnings: readonly string[] }> {
  const { sources, warnings } = localModels(options.modelsDir);
  if (sources.length === 0) {
    throw new Error(`no models in ${options.modelsDir}: add one as <name>/<version>/model.onnx`);
  }
  const registry = new ModelRegistry(sources, { execution: 'adaptive' });
  const failures = await registry.loadAll();
  if (failures.length > 0) {
    await registry.release();
    const lines = failures.map(({ source, error }) => `  ${source.location}: ${error.message}`);
    throw new Error(`cannot load ${failures.length} model file(s):\n${lines.join('\n')}`);
  }
  const handler = createApiGatewayHandler(registry);
  const server = createServer((request, response) => {
    void serveHttp(handler, request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  return { server, registry, warnings };
}

async function serveHttp(
  handler: ApiGatewayHandler,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const started = performance.now();
  let statusCode = 500;
  try {
    let body: Buffer;
    try {
      body = await readBody(request);
    } catch (error) {
      if (!(error instanceof BodyTooLargeError)) throw error;
      statusCode = 413;
      response.writeHead(413, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: error.message }));
      return;
    }
    const result = await handler(toApiGatewayEvent(request, body), localLambdaContext());
    statusCode = result.statusCode;
    // The handler only sets string headers; the proxy result's type also allows numbers and booleans.
    response.writeHead(result.statusCode, result.headers as Record<string, string> | undefined);
    response.end(result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body);
  } catch (error) {
    console.error(`local server: ${request.method} ${request.url} failed: ${(error as Error).stack}`);
    if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: 'internal error in the local server; see its log' }));
  } finally {
    logRequest(request.method, request.url, statusCode, performance.now() - started);
  }
}

/** Parses the command line, starts the server and stops it cleanly on SIGINT or SIGTERM. */
export async function main(): Promise<void> {
  let started: Awaited<ReturnType<typeof startLocalServer>>;
  let options: LocalServerOptions;
  try {
    options = parseOptions(process.argv.slice(2), process.env);
    started = await startLocalServer(options);
  } catch (error) {
    console.error(`model-endpoint local server cannot start: ${(error as Error).message}`);
    process.exit(1);
  }
  const { server, registry, warnings } = started;
  for (const warning of warnings) console.warn(`warning: ${warning}`);
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  console.log(`serving ${registry.modelNames.join(', ')} on http://${host}:${port} (Open Inference Protocol v2)`);

  let stopping = false;
  const shutdown = (signal: string) => {
    // A terminal's Ctrl-C reaches npm and the server alike, and npm then forwards it: the same signal often arrives
    // twice. Handling every one (and acting on the first) keeps the second from killing the process mid-shutdown.
    if (stopping) return;
    stopping = true;
    flushRequestLog();
    console.log(`${signal}: shutting down`);
    server.close(() => {
      void registry.release().then(() => {
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
