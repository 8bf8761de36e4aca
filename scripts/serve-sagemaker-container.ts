// `npm run sagemaker-container -- <model> [--version <v>] [--models <dir>] [--port <n>]`: runs the SageMaker
// container's entry point on this machine exactly as SageMaker starts it (`serve`, the model at MODEL_PATH with its
// descriptor beside it, pinned by sha256, port from SAGEMAKER_BIND_TO_PORT), so a `sagemaker` model's container can
// be tried with curl before any image is built. What differs from the image: Node.js and ONNX Runtime are this
// machine's, and the files sit in a temporary folder instead of /opt/model.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { ModelEnvironment } from '../contract/environment';
import { DESCRIPTOR_FILE } from '../contract/model-descriptor';
import { MODEL_FILE, scanModelRepository } from '../contract/model-repository';
import { bundleSageMakerServer, IMAGE_ENTRY_FILE } from '../lib/constructs/sagemaker-container-image';
import { checkModelsToDeploy } from '../lib/model-check';
import { describeModel } from '../lib/model-description';

const USAGE =
  'usage: npm run sagemaker-container -- <model> [--version <v>] [--models <dir>] [--port <n>]\n' +
  '  <model>      a model of the repository folder, e.g. penguins\n' +
  '  --version    the version to serve (default: the highest, as a deploy does)\n' +
  '  --models     the model repository folder (default: models, or MODELS_DIR)\n' +
  '  --port       the port, as SAGEMAKER_BIND_TO_PORT (default: 8080; 0 picks a free one)';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      version: { type: 'string' },
      models: { type: 'string' },
      port: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const [name] = positionals;
  if (name === undefined || positionals.length > 1) throw new Error(`name one model\n${USAGE}`);
  const folder = values.models ?? (process.env.MODELS_DIR || 'models');
  const model = scanModelRepository(folder).models.find((candidate) => candidate.name === name);
  if (model === undefined) throw new Error(`no model "${name}" in ${path.resolve(folder)}`);
  const files =
    values.version === undefined ? model.versions.at(-1) : model.versions.find((v) => v.version === values.version);
  if (files === undefined) {
    throw new Error(
      `model ${name} has no version ${values.version}; it has ${model.versions.map((v) => v.version).join(', ')}`,
    );
  }

  // The same check and descriptor as `cdk synth`: a model that synth would refuse is refused here too.
  const [checked] = await checkModelsToDeploy([{ name, version: files.version, modelPath: files.modelPath }]);
  const described = describeModel({ modelPath: files.modelPath, spec: checked.spec });
  const modelDir = fs.mkdtempSync(path.join(tmpdir(), 'sagemaker-model-'));
  fs.copyFileSync(files.modelPath, path.join(modelDir, MODEL_FILE));
  fs.writeFileSync(path.join(modelDir, DESCRIPTOR_FILE), described.descriptorJson);

  // The bundle the image runs, built the same way.
  const entry = path.join(__dirname, '..', 'node_modules', '.cache', 'model-endpoint', IMAGE_ENTRY_FILE);
  bundleSageMakerServer(entry);
  const child = spawn(process.execPath, ['--enable-source-maps', entry, 'serve'], {
    stdio: 'inherit',
    env: {
      ...process.env,
      [ModelEnvironment.name]: name,
      [ModelEnvironment.version]: files.version,
      [ModelEnvironment.modelPath]: path.join(modelDir, MODEL_FILE),
      [ModelEnvironment.sha256]: described.sha256,
      [ModelEnvironment.descriptorSha256]: described.descriptorSha256,
      SAGEMAKER_BIND_TO_PORT: values.port ?? '8080',
    },
  });
  const stop = (signal: NodeJS.Signals) => child.kill(signal);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  child.once('exit', (code) => {
    fs.rmSync(modelDir, { recursive: true, force: true });
    process.exitCode = code ?? 0;
  });
}

main().catch((error: unknown) => {
  console.error(`cannot start the SageMaker container: ${(error as Error).message}`);
  process.exitCode = 1;
});
