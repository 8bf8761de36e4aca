import { type AddressInfo, connect } from 'node:net';
import { loadOnnxModel } from '../../lambda/model/onnx-model';
import { logger } from '../../lambda/observability';
import { type SageMakerContainer, startSageMakerContainer } from '../../lambda/sagemaker/container';
import { rawExchange } from '../support/raw-http';
import { containerModel } from './support/sagemaker-container';

// The SageMaker container's own HTTP server, in-process on loopback, fed raw framing: it answers hostile input with
// the same {"error"} bodies as the local server.

const PENGUIN_BODY = JSON.stringify({
  inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP32', data: [39.1, 18.7, 181, 3750] }],
});
const MIB = 1024 * 1024;

let container: SageMakerContainer;
let port: number;
beforeAll(async () => {
  const env = { ...(await containerModel('penguins')), SAGEMAKER_BIND_TO_PORT: '0' };
  container = await startSageMakerContainer(loadOnnxModel, env, '127.0.0.1');
  port = (container.server.address() as AddressInfo).port;
  await container.registry.loadAll();
}, 30_000);
afterAll(async () => {
  container.server.closeAllConnections();
  await new Promise((resolve) => container.server.close(resolve));
  await container.registry.release();
});

const invoke = (headers: string, body: string) =>
  `POST /invocations HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n${headers}Content-Length: ${body.length}\r\n\r\n${body}`;

describe('the SageMaker container with hostile framing', () => {
  it('answers an invocation with headers named like Object prototype keys', async () => {
    const answer = await rawExchange(
      port,
      invoke('__proto__: x\r\ntoString: y\r\nConnection: close\r\n', PENGUIN_BODY),
    );
    expect(answer).toMatchObject({ status: 200, json: { model_name: 'penguins' } });
  });

  it('returns 400 with a JSON error for a malformed request target, and serves an absolute-form one', async () => {
    const bad = await rawExchange(port, 'GET http://[/ping HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    expect(bad).toMatchObject({
      status: 400,
      json: { error: expect.stringMatching(/^the request target "http:\/\/\[\/ping"/) },
    });
    const absolute = await rawExchange(
      port,
      'GET http://localhost:8080/ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    expect(absolute).toMatchObject({ status: 200, json: { ready: true } });
  });

  it('returns 400 with a JSON error for a body that ends before its Content-Length', async () => {
    const answer = await rawExchange(
      port,
      'POST /invocations HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n{"inputs"',
      { halfClose: true },
    );
    expect(answer).toMatchObject({
      status: 400,
      json: { error: expect.stringMatching(/^the connection ended before the whole request body arrived/) },
    });
  });

  it('refuses a 100 MiB Content-Length with 413 and Connection: close, without reading the body', async () => {
    const answer = await rawExchange(
      port,
      `POST /invocations HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${100 * MIB}\r\n\r\n`,
      { streamBytes: 100 * MIB },
    );
    expect(answer).toMatchObject({
      status: 413,
      headers: { connection: 'close' },
      json: {
        error: `the request body is ${100 * MIB} bytes, over the ${25 * MIB} bytes SageMaker accepts; send a smaller batch`,
      },
    });
  });

  it('keeps the 413 readable for a client that goes on sending a chunked body and reads the answer only later', async () => {
    const answer = await rawExchange(
      port,
      'POST /invocations HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
      { streamBytes: 100 * MIB, chunked: true, readDelayMs: 500 },
    );
    expect(answer).toMatchObject({ status: 413, headers: { connection: 'close' } });
  });

  it('answers a client that half-closes its side right after sending the invocation', async () => {
    const answer = await rawExchange(port, invoke('', PENGUIN_BODY), { halfClose: true });
    expect(answer).toMatchObject({ status: 200, json: { model_name: 'penguins' } });
  });

  it('logs a client that disconnects mid-body as a warning, not as a failed invocation', async () => {
    const warned = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    const failed = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    try {
      const client = connect(port, '127.0.0.1');
      container.server.once('request', () => setImmediate(() => client.destroy()));
      client.write('POST /invocations HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n{"in');
      for (let waited = 0; warned.mock.calls.length === 0 && waited < 10_000; waited += 20) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(warned).toHaveBeenCalledWith('client closed the connection', {
        route: 'POST /invocations',
        reason: 'the client closed the connection after 4 of 100 body bytes',
      });
      expect(failed).not.toHaveBeenCalled();
    } finally {
      warned.mockRestore();
      failed.mockRestore();
    }
  });
});
