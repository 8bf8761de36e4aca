import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { type App, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { lambdaContext } from '../support/api-gateway-events';
import { SDK_FROM_NODE_PATH_HOOK } from './sdk-from-node-path';

// Functions as `cdk deploy` ships them: the esbuild bundle of a synth with bundling, run in a fresh Node.js process
// with the environment the template gives the function, its AWS calls going to peers on loopback through the SDK's
// standard service-specific endpoint variables (AWS_ENDPOINT_URL_<service>). @aws-sdk/* is external in the bundles,
// since Lambda's Node.js 24 runtime provides it: the child process finds it in this repository's node_modules through
// NODE_PATH, as Lambda finds the runtime's own copy.
const REPOSITORY = path.join(__dirname, '..', '..');
export const REGION = 'eu-west-1';

/** The folder esbuild wrote a function's bundle to, inside the synthesized cloud assembly. */
export function bundleDir(app: App, fn: lambda.Function): string {
  const asset = fn.node.findChild('Code');
  if (!(asset instanceof Asset)) throw new Error(`${fn.node.path} has no Code asset`);
  return path.resolve(app.outdir, asset.assetPath);
}

/**
 * The packages a bundle loads at run time (static and dynamic imports, requires), Node's built-in modules aside:
 * everything else is inside it. Lambda's Node.js runtime provides the built-ins and the AWS SDK, nothing else.
 */
export function externalModules(bundleFile: string): string[] {
  const code = fs.readFileSync(bundleFile, 'utf8');
  const specifiers = [...code.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)["']([^"']+)["']/g)].map(
    (match) => match[1],
  );
  return [...new Set(specifiers)].filter((specifier) => !isBuiltin(specifier)).sort();
}

/**
 * A function's environment variables from the template, with each CloudFormation reference (resolved only at
 * deploy) replaced by the literal `references` gives for its variable. A reference without one fails the test, so a
 * new reference in lib/ must be looked at here.
 */
export function deployedEnvironment(
  template: Template,
  fn: lambda.Function,
  references: Readonly<Record<string, string>>,
): Record<string, string> {
  const logicalId = Stack.of(fn).getLogicalId(fn.node.defaultChild as lambda.CfnFunction);
  const resource = template.toJSON().Resources[logicalId] as {
    Properties: { Environment: { Variables: Record<string, unknown> } };
  };
  return Object.fromEntries(
    Object.entries(resource.Properties.Environment.Variables).map(([name, value]) => {
      if (typeof value === 'string') return [name, value];
      const literal = references[name];
      if (literal === undefined) throw new Error(`${name} is a reference (${JSON.stringify(value)}) with no literal`);
      return [name, literal];
    }),
  );
}

// What Lambda's runtime does for the handler "index.handler": import index.mjs as an ES module, or require index.js
// as CommonJS (which finds the SDK through NODE_PATH by itself); write a marker once init is over, then invoke the
// handler once per event with a context whose clock is the function's.
const RUNTIME_EMULATOR = `
import { existsSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
register(process.env.TEST_HOOK_URL);
const root = process.env.LAMBDA_TASK_ROOT;
const esm = path.join(root, 'index.mjs');
const { handler } = existsSync(esm)
  ? await import(pathToFileURL(esm).href)
  : createRequire(path.join(root, 'index.js'))('./index.js');
process.stdout.write('INIT-DONE\\n');
process.stderr.write('INIT-DONE\\n');
const context = { ...JSON.parse(process.env.TEST_CONTEXT), getRemainingTimeInMillis: () => 30000 };
const results = [];
for (const [index, event] of JSON.parse(process.env.TEST_EVENTS).entries()) {
  results.push((await handler(event, { ...context, awsRequestId: 'request-' + index })) ?? null);
}
process.stdout.write('RESULTS' + JSON.stringify(results) + '\\n');
`;

export interface BundleRun {
  /** What the handler returned per event (null for nothing). */
  readonly results: unknown[];
  /** Everything printed (stdout, then stderr) before the handler module's import resolved. */
  readonly initOutput: string;
  /** stdout after init, without the results line. */
  readonly invocationStdout: string;
  /** All of stderr, init and invocations, without the init marker. */
  readonly stderr: string;
}

/**
 * Runs a bundle as Lambda would in a fresh Node.js process, with `environment` (the function's, from the template)
 * and `endpoints` (service id -> loopback URL, set as AWS_ENDPOINT_URL_<service id>). Asynchronous on purpose: the
 * peers run in this process and must keep answering while the child works.
 */
export async function runBundle(
  bundle: string,
  environment: Readonly<Record<string, string>>,
  endpoints: Readonly<Record<string, string>>,
  events: readonly unknown[],
): Promise<BundleRun> {
  const scratch = fs.mkdtempSync(path.join(tmpdir(), 'lambda-runtime-'));
  const hook = path.join(scratch, 'sdk-from-node-path.mjs');
  const emulator = path.join(scratch, 'runtime.mjs');
  fs.writeFileSync(hook, SDK_FROM_NODE_PATH_HOOK);
  fs.writeFileSync(emulator, RUNTIME_EMULATOR);
  try {
    const child = await promisify(execFile)(process.execPath, [emulator], {
      cwd: scratch,
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        PATH: process.env.PATH,
        ...environment,
        NODE_PATH: path.join(REPOSITORY, 'node_modules'),
        AWS_LAMBDA_FUNCTION_NAME: 'ModelEndpoint-function-under-test',
        LAMBDA_TASK_ROOT: bundle,
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
        AWS_REGION: REGION,
        // s3rver accepts only its own key pair; the other peers accept any.
        AWS_ACCESS_KEY_ID: 'S3RVER',
        AWS_SECRET_ACCESS_KEY: 'S3RVER',
        // No profile of this machine may add an endpoint, region or credentials.
        AWS_CONFIG_FILE: path.join(scratch, 'no-config'),
        AWS_SHARED_CREDENTIALS_FILE: path.join(scratch, 'no-credentials'),
        ...Object.fromEntries(Object.entries(endpoints).map(([id, url]) => [`AWS_ENDPOINT_URL_${id}`, url])),
        // Lambda runs Node.js 24; this machine may run an older Node.js, which the SDK would warn about.
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        TEST_HOOK_URL: pathToFileURL(hook).href,
        TEST_EVENTS: JSON.stringify(events),
        TEST_CONTEXT: JSON.stringify(lambdaContext),
      },
    });
    const [initOut, rest] = splitOnce(child.stdout, 'INIT-DONE\n');
    const [invocationStdout, results] = splitOnce(rest, 'RESULTS');
    const [initErr, invocationErr] = splitOnce(child.stderr, 'INIT-DONE\n');
    if (results === '') throw new Error(`the bundled handler did not answer:\n${child.stdout}\n${child.stderr}`);
    return {
      results: JSON.parse(results) as unknown[],
      initOutput: `${initOut}${initErr}`,
      invocationStdout,
      stderr: `${initErr}${invocationErr}`,
    };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

function splitOnce(text: string, marker: string): [string, string] {
  const at = text.indexOf(marker);
  return at < 0 ? [text, ''] : [text.slice(0, at), text.slice(at + marker.length)];
}

/** The JSON lines among the printed output: Powertools log records and EMF metric lines. */
export function jsonLines(output: string): Array<Record<string, unknown>> {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
