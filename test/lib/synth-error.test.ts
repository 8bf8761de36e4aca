import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { App, Stack } from 'aws-cdk-lib';
import { ConfigurationError } from '../../lib/config';
import { synthErrorMessage } from '../../lib/synth-error';

const ROOT = path.join(__dirname, '..', '..');

function thrownBy(action: () => void): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected the action to throw');
}

describe('synth errors', () => {
  it('shows a configuration mistake as its message alone', () => {
    expect(synthErrorMessage(new ConfigurationError('waf ("yes") must be true or false'), {})).toBe(
      'model-endpoint configuration: waf ("yes") must be true or false',
    );
  });

  it("shows the message of the app's own checks alone", () => {
    const message =
      'cannot deploy 1 model file(s):\n  models/bad/1/model.onnx: model bad version 1 is not a valid ONNX model';
    expect(synthErrorMessage(new Error(message), {})).toBe(`model-endpoint: ${message}`);
  });

  it('shows a construct validation error with the construct it came from and how to get the trace', () => {
    const error = thrownBy(() => new Stack(new App(), 'Endpoint', { stackName: 'bad_name' }));
    expect(synthErrorMessage(error, {})).toBe(
      "model-endpoint: Stack name must match the regular expression: /^[A-Za-z][A-Za-z0-9-]*$/, got 'bad_name' (at Endpoint)\n" +
        'Run `npx cdk synth --debug` for the stack trace.',
    );
  });

  it('keeps the stack trace of a bug, and of any error under cdk --debug', () => {
    expect(
      synthErrorMessage(new TypeError("Cannot read properties of undefined (reading 'name')"), {}),
    ).toBeUndefined();
    expect(synthErrorMessage(new ConfigurationError('bad'), { CDK_DEBUG: 'true' })).toBeUndefined();
    expect(synthErrorMessage('not an error', {})).toBeUndefined();
  });

  it('fails `cdk synth` with a quota under IAM auth with one line naming both settings, no stack trace', async () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-out-'));
    try {
      const cdk = path.join(ROOT, 'node_modules', '.bin', 'cdk');
      const args = ['synth', '--no-notices', '--output', outdir, '-c', 'quotaRequestsPerDay=1000', '-c', 'auth=iam'];
      const failure = await promisify(execFile)(cdk, args, { cwd: ROOT }).then(
        () => undefined,
        (error: { code?: number; stderr?: string }) => error,
      );
      expect(failure?.code).toBe(1);
      const stderr = failure?.stderr ?? '';
      expect(stderr).toContain(
        'model-endpoint configuration: quotaRequestsPerDay (1000) applies to API keys only (a quota belongs to a key\'s usage plan), but auth is "iam": remove quotaRequestsPerDay or set auth to apiKey\n',
      );
      expect(stderr).not.toMatch(/^\s+at /m);
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });
});
