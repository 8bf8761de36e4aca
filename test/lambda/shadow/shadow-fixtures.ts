import * as fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { LambdaClient } from '@aws-sdk/client-lambda';
import type { CloudWatchLogsEvent } from 'aws-lambda';
import { onnx } from 'onnx-proto';
import { type ApiGatewayHandler, createApiGatewayHandler } from '../../../lambda/api-gateway-handler';
import { ModelRegistry } from '../../../lambda/model/model-registry';
import { modelSourcesFromFolder } from '../../../lambda/model/model-source';
import { onnxBackends } from '../../../lambda/model/onnx-backend';
import { loadOnnxModel } from '../../../lambda/model/onnx-model';
import { lambdaContext } from '../../support/api-gateway-events';
import { demoModelFile } from '../../support/demo-models';

/** What version 2 of penguins is in a shadow test repository, next to the demo penguins as version 1. */
export type Candidate = 'same' | 'perturbed' | 'broken';

/**
 * A repository with the demo penguins as version 1 and a candidate as version 2: the same bytes, a perturbed copy
 * (class labels reversed and every leaf weight scaled by 0.9, so labels and probabilities both change), or bytes
 * that are no ONNX model (the candidate cannot load and answers 503).
 */
export function shadowRepository(candidate: Candidate): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `shadow-${candidate}-`));
  const live = fs.readFileSync(demoModelFile('penguins'));
  for (const version of ['1', '2']) fs.mkdirSync(path.join(root, 'penguins', version), { recursive: true });
  fs.writeFileSync(path.join(root, 'penguins', '1', 'model.onnx'), live);
  const candidateBytes =
    candidate === 'same' ? live : candidate === 'perturbed' ? perturbedForest(live) : Buffer.from('not an onnx model');
  fs.writeFileSync(path.join(root, 'penguins', '2', 'model.onnx'), candidateBytes);
  return root;
}

function perturbedForest(bytes: Uint8Array): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  const forest = model.graph?.node?.find((node) => node.opType === 'TreeEnsembleClassifier');
  const labels = forest?.attribute?.find((attribute) => attribute.name === 'classlabels_strings');
  const weights = forest?.attribute?.find((attribute) => attribute.name === 'class_weights');
  if (labels?.strings == null || weights?.floats == null)
    throw new Error('the penguins model has no forest to perturb');
  labels.strings = [...labels.strings].reverse();
  weights.floats = weights.floats.map((weight) => weight * 0.9);
  return onnx.ModelProto.encode(model).finish();
}

/** The real runtime handler over one version of a repository, as that version's function runs it in Lambda. */
export function versionHandler(
  repository: string,
  version: string,
): { handler: ApiGatewayHandler; registry: ModelRegistry } {
  const sources = modelSourcesFromFolder(repository).filter((source) => source.version === version);
  const registry = new ModelRegistry(onnxBackends(sources, loadOnnxModel));
  return { handler: createApiGatewayHandler(registry), registry };
}

/**
 * A loopback server speaking Lambda's Invoke API (`POST /2015-03-31/functions/<name>/invocations`) that runs each
 * event through `handler`, the real runtime: the AWS SDK talks to it as to Lambda. `failWith` answers as Lambda does
 * for a function that threw (200 with X-Amz-Function-Error). Records the function names invoked.
 */
export async function lambdaInvokeServer(
  handler: ApiGatewayHandler,
  failWith?: string,
): Promise<{ client: LambdaClient; invoked: string[]; close(): Promise<void> }> {
  const invoked: string[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(request.url ?? '');
      if (request.method !== 'POST' || match === null) {
        response.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"unknown route"}');
        return;
      }
      invoked.push(decodeURIComponent(match[1]));
      if (failWith !== undefined) {
        response
          .writeHead(200, { 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' })
          .end(JSON.stringify({ errorType: 'Error', errorMessage: failWith }));
        return;
      }
      const event = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      void handler(event, lambdaContext).then((result) => {
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const client = new LambdaClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'example' },
    maxAttempts: 1,
  });
  return {
    client,
    invoked,
    close: async () => {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Log lines as CloudWatch Logs delivers them to a subscribed Lambda function: gzip, then base64. */
export function cloudWatchLogsEvent(messages: readonly string[]): CloudWatchLogsEvent {
  const data = {
    messageType: 'DATA_MESSAGE',
    owner: '123456789012',
    logGroup: '/aws/lambda/ModelEndpoint-PenguinsFunction',
    logStream: '2026/12/01/[$LATEST]0123456789abcdef',
    subscriptionFilters: ['ShadowSamples'],
    logEvents: messages.map((message, index) => ({ id: String(index), timestamp: Date.now(), message })),
  };
  return { awslogs: { data: gzipSync(JSON.stringify(data)).toString('base64') } };
}

/** Embedded metric format records written to stdout while `work` runs, with metrics enabled. */
export async function emfRecords(work: () => Promise<void>): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(chunk.toString());
    return true;
  });
  const previous = process.env.POWERTOOLS_METRICS_DISABLED;
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  try {
    await work();
  } finally {
    process.env.POWERTOOLS_METRICS_DISABLED = previous;
    write.mockRestore();
  }
  return lines
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
