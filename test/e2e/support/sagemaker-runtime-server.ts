import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';

/**
 * The SageMaker runtime's InvokeEndpoint REST call (POST /endpoints/<name>/invocations, restJson1) on loopback,
 * passing body and content type to a container's /invocations as SageMaker does, and answering errors in the
 * service's shapes: a container's error status as ModelError (424, OriginalStatusCode, OriginalMessage), an
 * unknown endpoint as ValidationError, a throttle as ThrottlingException.
 */
export interface SageMakerRuntimeServer {
  readonly url: string;
  /** Answer the next invocations with ThrottlingException instead of calling the container. */
  throttle: boolean;
  close(): Promise<void>;
}

export async function startSageMakerRuntime(endpoints: Record<string, string>): Promise<SageMakerRuntimeServer> {
  const state = { throttle: false };
  const server: Server = createServer((request, response) => {
    void invoke(endpoints, state, request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get throttle() {
      return state.throttle;
    },
    set throttle(value: boolean) {
      state.throttle = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** An SDK client pointed at the loopback server, with static credentials and no retries (the mapping is tested). */
export function sageMakerRuntimeClient(url: string): SageMakerRuntimeClient {
  return new SageMakerRuntimeClient({
    endpoint: url,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    maxAttempts: 1,
  });
}

async function invoke(
  endpoints: Record<string, string>,
  state: { throttle: boolean },
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const error = (status: number, type: string, body: object) => {
    response.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type });
    response.end(JSON.stringify(body));
  };
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const name = /^\/endpoints\/([^/]+)\/invocations$/.exec(request.url ?? '')?.[1];
  const container = name === undefined ? undefined : endpoints[decodeURIComponent(name)];
  if (request.method !== 'POST' || container === undefined) {
    return error(400, 'ValidationError', { message: `Endpoint ${name} of account 123456789012 not found.` });
  }
  if (state.throttle) return error(400, 'ThrottlingException', { message: 'Rate exceeded' });
  const answer = await fetch(`${container}/invocations`, {
    method: 'POST',
    headers: { 'content-type': request.headers['content-type'] ?? 'application/octet-stream' },
    body: Buffer.concat(chunks),
  });
  const body = Buffer.from(await answer.arrayBuffer());
  if (!answer.ok) {
    return error(424, 'ModelError', {
      message: `Received client error (${answer.status}) from primary with message "${body.toString()}".`,
      OriginalStatusCode: answer.status,
      OriginalMessage: body.toString(),
      LogStreamArn: 'arn:aws:logs:eu-west-1:123456789012:log-group:/aws/sagemaker/Endpoints/test',
    });
  }
  response.writeHead(200, {
    'content-type': answer.headers.get('content-type') ?? 'application/json',
    'x-amzn-invoked-production-variant': 'AllTraffic',
  });
  response.end(body);
}
