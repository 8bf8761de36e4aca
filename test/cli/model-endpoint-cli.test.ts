import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startDemoTwin } from '../client/local-twin';
import { DEMO_MODELS, demoModelFile } from '../support/demo-models';

// The command as a user runs it: the package's bin, spawned, against the local twin on loopback (and a loopback
// CloudFormation for the stack's outputs).

const BIN = path.join(__dirname, '..', '..', 'cli', 'model-endpoint.js');

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

// No AWS configuration of the machine running the tests leaks in: no credentials, files or metadata service.
const NO_AWS = {
  AWS_ACCESS_KEY_ID: '',
  AWS_SECRET_ACCESS_KEY: '',
  AWS_SESSION_TOKEN: '',
  AWS_PROFILE: '',
  AWS_SHARED_CREDENTIALS_FILE: path.join(tmpdir(), 'no-credentials'),
  AWS_CONFIG_FILE: path.join(tmpdir(), 'no-config'),
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_REGION: 'eu-west-1',
};

function run(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, ...NO_AWS, ...env }, timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr }),
    );
  });
}

function expectFits80Columns(text: string) {
  for (const line of text.split('\n')) expect([...line].length).toBeLessThanOrEqual(80);
}

let twin: Awaited<ReturnType<typeof startDemoTwin>>;

beforeAll(async () => {
  twin = await startDemoTwin();
  // The first run bundles the command; the tests after it run in parallel on the same bundle.
  expect((await run(['--help'])).code).toBe(0);
});
afterAll(() => twin.stop());

describe('model-endpoint invoke', () => {
  it('runs rows through a single-input model and prints each output on a line', async () => {
    const { code, stdout } = await run([
      'invoke',
      'penguins',
      '--data',
      '[[39.1, 18.7, 181, 3750], [46.1, 13.2, 211, 4500]]',
      '--url',
      twin.url,
    ]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^penguins version 1\nlabel BYTES \[2\]: "Adelie", "Gentoo"\nprobabilities FP32 \[2, 3\]: /);
    expectFits80Columns(stdout);
  });

  it('takes a v2 request from a file, sends it as binary tensor data and prints JSON with --json', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'invoke-')), 'digit.json');
    const golden = JSON.parse(readFileSync(path.join(DEMO_MODELS, 'mnist', '1', 'golden.json'), 'utf8'));
    writeFileSync(file, JSON.stringify({ ...golden.cases[0].request, outputs: [{ name: 'label' }] }));
    const { code, stdout } = await run(['invoke', 'mnist', '--data', file, '--url', twin.url, '--binary', '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      model_name: 'mnist',
      model_version: '1',
      outputs: [{ name: 'label', datatype: 'INT64', shape: [1], data: golden.cases[0].expected[1].data }],
    });
  });

  it('fails with exit code 1 and the server message for an unknown model or a wrong shape', async () => {
    const unknown = await run(['invoke', 'nope', '--data', '[[1]]', '--url', twin.url]);
    expect(unknown).toMatchObject({ code: 1, stdout: '' });
    expect(unknown.stderr).toMatch(/^model-endpoint invoke: GET \/v2\/models\/nope answered 404: unknown model "nope"/);
    const shape = await run(['invoke', 'penguins', '--data', '[1, 2]', '--url', twin.url]);
    expect(shape.code).toBe(1);
    expect(shape.stderr).toContain('answered 400: input "features" has shape [1, 2]');
  });

  it('reads the URL from the stack outputs without --url, signing with the default credentials for an IAM stack', async () => {
    const actions: string[] = [];
    const cloudformation = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        actions.push(
          `${new URLSearchParams(body).get('Action')} ${new URLSearchParams(body).get('StackName')} ${request.headers.authorization?.split(',')[0]}`,
        );
        response.writeHead(200, { 'content-type': 'text/xml' });
        response.end(
          `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>` +
            `<StackName>ModelEndpoint-dev</StackName><StackStatus>CREATE_COMPLETE</StackStatus><CreationTime>2026-01-01T00:00:00Z</CreationTime>` +
            `<Outputs><member><OutputKey>ApiUrl</OutputKey><OutputValue>${twin.url}/</OutputValue></member></Outputs>` +
            '</member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></DescribeStacksResponse>',
        );
      });
    });
    await new Promise<void>((resolve) => cloudformation.listen(0, '127.0.0.1', resolve));
    try {
      const endpoint = `http://127.0.0.1:${(cloudformation.address() as AddressInfo).port}`;
      const env = {
        AWS_ENDPOINT_URL_CLOUDFORMATION: endpoint,
        AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'secret',
      };
      const { code, stdout, stderr } = await run(
        ['invoke', 'penguins', '--stack', 'ModelEndpoint-dev', '--data', '[39.1, 18.7, 181, 3750]'],
        env,
      );
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(stdout).toContain('label BYTES [1]: "Adelie"');
      expect(actions).toEqual([
        expect.stringMatching(/^DescribeStacks ModelEndpoint-dev AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\//),
      ]);
    } finally {
      await new Promise((resolve) => cloudformation.close(resolve));
    }
  });

  it('says how to give a URL or credentials when there is no --url and no AWS credentials', async () => {
    const { code, stderr } = await run(['invoke', 'penguins', '--data', '[[1, 2, 3, 4]]']);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^model-endpoint invoke: cannot read the outputs of stack ModelEndpoint: .*configure AWS credentials.*or pass --url/s,
    );
  });
});

describe('model-endpoint inspect', () => {
  it('prints inputs, outputs, opsets, size and the backend auto chooses, within 80 columns', async () => {
    const { code, stdout } = await run(['inspect', demoModelFile('penguins')]);
    expect(code).toBe(0);
    expect(stdout).toContain('opsets: ai.onnx 17, ai.onnx.ml 3\n');
    expect(stdout).toMatch(
      /inputs:\n {2}features +FP32 +\[-1, 4\]\noutputs:\n {2}label +BYTES +\[-1\]\n {2}probabilities +FP32 +\[-1, 3\]\n/,
    );
    expect(stdout).toContain('backend (auto): lambda\n');
    expectFits80Columns(stdout);
  });

  it('prints the same as JSON with --json', async () => {
    const { code, stdout } = await run(['inspect', demoModelFile('mnist'), '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      sizeBytes: readFileSync(demoModelFile('mnist')).byteLength,
      opsets: [{ domain: '', version: 17 }],
      inputs: [{ name: 'pixels', datatype: 'FP32', shape: [-1, 784] }],
      outputs: [
        { name: 'probabilities', datatype: 'FP32', shape: [-1, 10] },
        { name: 'label', datatype: 'INT64', shape: [-1] },
      ],
      backend: 'lambda',
    });
  });

  it('fails naming the file when it is not an ONNX model', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'inspect-')), 'model.onnx');
    writeFileSync(file, 'not a model');
    const { code, stderr } = await run(['inspect', file]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^model-endpoint inspect: /);
  });
});

describe('model-endpoint bench', () => {
  it('sends the requests asked for and reports percentiles and a histogram that counts them all (--json)', async () => {
    const { code, stdout } = await run([
      'bench',
      twin.url,
      'penguins',
      '--requests',
      '20',
      '--concurrency',
      '3',
      '--json',
    ]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ model: 'penguins', requests: 20, concurrency: 3, errors: {} });
    expect(report.histogram.reduce((sum: number, b: { count: number }) => sum + b.count, 0)).toBe(20);
    expect(report.latencyMs.min).toBeLessThanOrEqual(report.latencyMs.p50);
    expect(report.latencyMs.p50).toBeLessThanOrEqual(report.latencyMs.max);
  });

  it('prints a terminal histogram within 80 columns, and no progress bar when stderr is not a terminal', async () => {
    const { code, stdout, stderr } = await run(['bench', twin.url, 'mnist', '--requests', '12', '--binary']);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toMatch(
      /^mnist: 12 requests, 4 in flight, 0 failed, in [0-9.]+ s\nthroughput [0-9.]+ requests\/s\nlatency ms: min /,
    );
    expect(stdout).toMatch(/ms █+ +\d+\n/);
    expectFits80Columns(stdout);
  });

  it('counts failed requests by status and exits 1', async () => {
    const { code, stdout } = await run([
      'bench',
      twin.url,
      'nope',
      '--data',
      '{"inputs": [{"name": "x", "datatype": "FP32", "shape": [1], "data": [1]}]}',
      '--requests',
      '3',
    ]);
    expect(code).toBe(1);
    expect(stdout).toContain('3 x status 404');
  });
});

describe('model-endpoint verify', () => {
  it('replays the golden sets against a URL, and exits 1 naming the case when an answer differs', async () => {
    const passing = await run(['verify', '--models', DEMO_MODELS, '--url', twin.url]);
    expect(passing.stdout).toContain('ok   golden set of penguins version 1: 9 cases');
    expect(passing).toMatchObject({ code: 0, stderr: '' });

    const models = mkdtempSync(path.join(tmpdir(), 'verify-'));
    cpSync(path.join(DEMO_MODELS, 'penguins'), path.join(models, 'penguins'), { recursive: true });
    const goldenFile = path.join(models, 'penguins', '1', 'golden.json');
    const golden = JSON.parse(readFileSync(goldenFile, 'utf8'));
    golden.cases[2].expected[0].data = ['Chinstrap-not'];
    writeFileSync(goldenFile, JSON.stringify(golden));
    const failing = await run(['verify', '--models', models, '--url', twin.url, '--json']);
    expect(failing.code).toBe(1);
    expect(JSON.parse(failing.stdout)).toMatchObject({
      model: 'penguins',
      passed: false,
      casesPassed: 2,
      message: expect.stringContaining(`case "${golden.cases[2].name}"`),
    });
  });

  it('starts the local twin itself without --url', async () => {
    const { code, stdout } = await run(['verify', '--models', DEMO_MODELS]);
    expect(stdout).toContain('2 golden set(s) passed');
    expect(code).toBe(0);
  });
});

describe('model-endpoint types', () => {
  it('writes each model’s input and output datatypes as the interface the client takes', async () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'types-')), 'models.ts');
    const { code, stdout } = await run(['types', '--models', DEMO_MODELS, '--out', out]);
    expect(code).toBe(0);
    expect(stdout).toBe(`wrote the types of 2 model(s) to ${out}\n`);
    const source = readFileSync(out, 'utf8');
    expect(source).toContain(
      "  mnist: {\n    inputs: { pixels: 'FP32' };\n    outputs: { probabilities: 'FP32'; label: 'INT64' };\n  };",
    );
    expect(source).toContain(
      "  penguins: {\n    inputs: { features: 'FP32' };\n    outputs: { label: 'BYTES'; probabilities: 'FP32' };\n  };",
    );
  });
});

describe('model-endpoint', () => {
  it('prints its commands, and fails on an unknown one', async () => {
    const help = await run(['--help']);
    expect(help.stdout).toMatch(/^Usage: model-endpoint <command>/);
    expectFits80Columns(help.stdout);
    const unknown = await run(['deploy']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^model-endpoint: unknown command "deploy"/);
  });

  it.each(['invoke', 'inspect', 'bench', 'verify', 'types'])(
    'prints the usage of %s within 80 columns',
    async (command) => {
      const { code, stdout } = await run([command, '--help']);
      expect(code).toBe(0);
      expect(stdout).toMatch(new RegExp(`^Usage: model-endpoint ${command}`));
      expectFits80Columns(stdout);
    },
  );
});
