import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { DEMO_MODELS } from '../support/demo-models';

// `npm run sagemaker-container` as a user runs it: the container's entry point started as SageMaker starts it, with
// the model and the descriptor synth would build, on a free loopback port.
const REPOSITORY_ROOT = path.join(__dirname, '..', '..');
const START_TIMEOUT_MS = 45_000;

let child: ChildProcess;
let output = '';
let baseUrl: string;
let exited: Promise<number | null>;

beforeAll(async () => {
  // Its own process group, so the test stops npm, tsx and the container together.
  child = spawn(
    'npm',
    ['run', '--silent', 'sagemaker-container', '--', 'penguins', '--models', DEMO_MODELS, '--port', '0'],
    {
      cwd: REPOSITORY_ROOT,
      detached: true,
    },
  );
  for (const stream of [child.stdout, child.stderr])
    stream?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  exited = new Promise((resolve) => child.once('close', (code) => resolve(code)));
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline && child.exitCode === null) {
    const port = /listening on port (\d+)/.exec(output)?.[1];
    if (port !== undefined) {
      baseUrl = `http://127.0.0.1:${port}`;
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the SageMaker container did not start:\n${output}`);
}, START_TIMEOUT_MS + 5_000);

afterAll(async () => {
  if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGTERM');
  await exited;
});

it("answers /ping once the model is loaded and /invocations with the model's inference", async () => {
  let ping = await fetch(`${baseUrl}/ping`);
  // The container listens before it loads, as on SageMaker: a 503 until the model is ready.
  for (let tries = 0; ping.status === 503 && tries < 100; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    ping = await fetch(`${baseUrl}/ping`);
  }
  expect(ping.status).toBe(200);
  const answer = await fetch(`${baseUrl}/invocations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP32', data: [39.1, 18.7, 181, 3750] }],
    }),
  });
  expect(answer.status).toBe(200);
  expect(((await answer.json()) as { outputs: unknown[] }).outputs[0]).toEqual({
    name: 'label',
    datatype: 'BYTES',
    shape: [1],
    data: ['Adelie'],
  });
  // The descriptor it serves with is the one synth builds: the entry point checked it against the session at load.
  expect(output).toContain('"message":"model loaded"');
});

it('refuses a model the repository does not hold, naming it', async () => {
  const run = spawn('npm', ['run', '--silent', 'sagemaker-container', '--', 'no-such-model', '--models', DEMO_MODELS], {
    cwd: REPOSITORY_ROOT,
  });
  let text = '';
  run.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => run.once('close', resolve));
  expect(code).not.toBe(0);
  expect(text).toContain('no model "no-such-model"');
});
