/**
 * The server a user would write in an afternoon, as the baseline the local twin must match: node:http, JSON.parse,
 * session.run, JSON.stringify, no validation and no logging. Serves every model of a repository folder at
 * POST /v2/models/<name>/infer, plus GET /v2/health/live so the event-loop test can probe it too.
 *
 *   node --import tsx bench/naive-server.ts --port 0 --models bench/models [--intra-op-threads 1]
 *
 * Its sessions keep ONNX Runtime's defaults, as an afternoon's server would: an intra-op pool of one thread per core
 * that spins while it waits. `--intra-op-threads 1` computes on the calling thread only, as the twin's sessions do,
 * to tell what the second core is worth from what the server's own code costs.
 */
import * as fs from 'node:fs';
import { createServer } from 'node:http';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { InferenceSession, Tensor } from 'onnxruntime-node';

interface RequestInput {
  name: string;
  shape: number[];
  data: number[];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { port: { type: 'string' }, models: { type: 'string' }, 'intra-op-threads': { type: 'string' } },
  });
  const threads = values['intra-op-threads'];
  const options: InferenceSession.SessionOptions = threads === undefined ? {} : { intraOpNumThreads: Number(threads) };
  if (values.models === undefined) throw new Error('--models <folder> is required: the repository to serve');
  const folder = values.models;
  const sessions = new Map<string, InferenceSession>();
  for (const name of fs.readdirSync(folder).filter((entry) => !entry.startsWith('.'))) {
    const latest = fs.readdirSync(path.join(folder, name)).sort((a, b) => Number(b) - Number(a))[0];
    sessions.set(name, await InferenceSession.create(path.join(folder, name, latest, 'model.onnx'), options));
  }
  const server = createServer((request, response) => {
    if (request.method === 'GET' && request.url === '/v2/health/live') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"live":true}');
      return;
    }
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      try {
        const name = request.url?.split('/')[3] ?? '';
        const session = sessions.get(name);
        if (session === undefined) throw new Error(`no model ${name}`);
        const body = JSON.parse(Buffer.concat(chunks).toString());
        const feeds: Record<string, Tensor> = {};
        for (const input of body.inputs as RequestInput[]) {
          feeds[input.name] = new Tensor('float32', Float32Array.from(input.data), input.shape);
        }
        const results = await session.run(feeds);
        const outputs = Object.entries(results).map(([outputName, tensor]) => ({
          name: outputName,
          shape: tensor.dims,
          datatype: tensor.type,
          // BigInt64Array (int64 labels) cannot go through JSON.stringify as it is.
          data: Array.from(tensor.data as ArrayLike<unknown>, (value) =>
            typeof value === 'bigint' ? Number(value) : value,
          ),
        }));
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ model_name: name, id: body.id, outputs }));
      } catch (error) {
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: (error as Error).message }));
      }
    });
  });
  server.listen(Number(values.port ?? 8081), '127.0.0.1', () => {
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : values.port;
    console.log(`naive server serving ${[...sessions.keys()].join(', ')} on http://127.0.0.1:${port}`);
  });
  process.once('SIGTERM', () => process.exit(0));
}

void main();
