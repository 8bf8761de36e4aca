import * as fs from 'node:fs';
import * as path from 'node:path';
import { BUILD_DIR } from './cases';
import { spawnTracked } from './children';
import { type Summary, summarize } from './stats';

/**
 * What each package the Lambda handler loads (or loaded) at init costs to import on its own, in a fresh process:
 * the evidence for what the handler keeps at init and what it loads later or not at all. Packages are timed
 * unbundled (the bundle inlines Powertools and @smithy, where their cost is lower but not separable), except the
 * handler bundle itself, imported with no model to load.
 */
export const IMPORTED: readonly string[] = [
  'onnxruntime-node',
  // Replaced by the runtime's own signed GET (lambda/model/signed-s3-get.ts).
  '@aws-sdk/client-s3',
  // The SDK's signer, which that GET could have used.
  '@smithy/signature-v4',
  // Loaded only by a forwarding function.
  '@aws-sdk/client-sagemaker-runtime',
  '@aws-lambda-powertools/logger',
  '@aws-lambda-powertools/metrics',
  'node:https',
];

export const BUNDLE_SUBJECT = 'handler bundle, no model';

export type ImportTimes = Record<string, Summary>;

const REQUIRE_PROBE = `const started = performance.now();
require(process.argv[1]);
require('node:fs').writeSync(3, String(performance.now() - started));`;

const BUNDLE_PROBE = `import * as fs from 'node:fs';
import { pathToFileURL } from 'node:url';
const started = performance.now();
await import(pathToFileURL(process.argv[1]).href);
fs.writeSync(3, String(performance.now() - started));`;

function timeOne(args: string[], environment: Record<string, string>): Promise<number> {
  const child = spawnTracked(process.execPath, args, {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...environment },
  });
  let stderr = '';
  let out = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  child.stdio[3]?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      const milliseconds = Number(out);
      if (out === '' || !Number.isFinite(milliseconds)) {
        return reject(new Error(`import probe ${args.at(-1)} exited with ${code}\n${stderr}`));
      }
      resolve(milliseconds);
    });
  });
}

/** Import time of each package and of the handler bundle, one fresh process each, subjects alternating per round. */
export async function measureImports(bundlePath: string, rounds: number): Promise<ImportTimes> {
  const emptyRepository = path.join(BUILD_DIR, 'no-models');
  fs.mkdirSync(emptyRepository, { recursive: true });
  const samples = new Map<string, number[]>();
  const push = (subject: string, milliseconds: number) =>
    samples.set(subject, [...(samples.get(subject) ?? []), milliseconds]);
  for (let round = 0; round < rounds; round++) {
    for (const subject of IMPORTED) push(subject, await timeOne(['-e', REQUIRE_PROBE, subject], {}));
    push(
      BUNDLE_SUBJECT,
      await timeOne(['--input-type=module', '-e', BUNDLE_PROBE, bundlePath], {
        MODELS_DIR: emptyRepository,
        AWS_LAMBDA_FUNCTION_NAME: 'bench',
        POWERTOOLS_LOG_LEVEL: 'ERROR',
      }),
    );
  }
  return Object.fromEntries([...samples].map(([subject, values]) => [subject, summarize(values)]));
}
