import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { scanModelRepository } from '../../contract/model-repository';
import { DEFAULT_MODELS_DIR } from '../../lambda/local/options';
import { BUNDLE_FILES } from '../../web/bundle-files';
import { type WebBundle, writeWebBundle } from './write-web-bundle';

export const EXPORT_WEB_USAGE = `Usage: npm run export:web -- <model> [options]

Writes a static folder that runs the model in a browser or any JavaScript runtime with onnxruntime-web's WebAssembly
build: ${BUNDLE_FILES.module} (infer, metadata, placement, configure), ${BUNDLE_FILES.wasm}, ${BUNDLE_FILES.model},
${BUNDLE_FILES.descriptor} and an example ${BUNDLE_FILES.example}. Requests and answers are the API's JSON.

Options:
  --version <v>         the version to export (default: the highest, which a deploy serves)
  --models <dir>        model repository folder (default ${DEFAULT_MODELS_DIR})
  --out <dir>           where to write the bundle (default web-bundles/<model>)
  --fallback-url <url>  the API to answer from when the model cannot run on the device (the stack's ApiUrl output)
  -h, --help            print this help and exit
`;

/** Runs the command with these arguments; returns the bundle written, or undefined after --help. */
export async function exportWeb(
  argv: readonly string[],
  print: (line: string) => void,
): Promise<WebBundle | undefined> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      version: { type: 'string' },
      models: { type: 'string', default: DEFAULT_MODELS_DIR },
      out: { type: 'string' },
      'fallback-url': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    print(EXPORT_WEB_USAGE);
    return undefined;
  }
  const [name, extra] = positionals;
  if (name === undefined) throw new Error(`name the model to export\n\n${EXPORT_WEB_USAGE}`);
  if (extra !== undefined) throw new Error(`unexpected argument "${extra}"; export one model at a time`);
  const fallbackUrl = values['fallback-url'];
  if (fallbackUrl !== undefined && !/^https?:\/\//.test(fallbackUrl)) {
    throw new Error(`--fallback-url must be an http(s) URL such as the stack's ApiUrl output, got "${fallbackUrl}"`);
  }
  const repository = scanModelRepository(values.models);
  const model = repository.models.find((candidate) => candidate.name === name);
  if (model === undefined) {
    const names = repository.models.map((candidate) => candidate.name).join(', ') || 'none';
    throw new Error(`no model "${name}" in ${values.models} (models: ${names})`);
  }
  const version =
    values.version === undefined ? model.versions.at(-1) : model.versions.find((v) => v.version === values.version);
  if (version === undefined) {
    const versions = model.versions.map((v) => v.version).join(', ');
    throw new Error(`model "${name}" has no version "${values.version}" in ${values.models} (versions: ${versions})`);
  }
  const bundle = await writeWebBundle({
    name,
    version: version.version,
    modelPath: version.modelPath,
    outDir: path.resolve(values.out ?? path.join('web-bundles', name)),
    ...(fallbackUrl !== undefined && { fallbackUrl }),
  });
  print(`exported ${name} version ${version.version} to ${bundle.outDir}`);
  for (const { file, bytes } of bundle.files) print(`  ${file.padEnd(30)} ${formatBytes(bytes).padStart(9)}`);
  print(
    `serve the folder with any static host and open ${BUNDLE_FILES.example}, or import ${BUNDLE_FILES.module}` +
      (fallbackUrl === undefined ? '' : `; a device that cannot run the model asks ${fallbackUrl}`),
  );
  return bundle;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

async function main(): Promise<void> {
  try {
    await exportWeb(process.argv.slice(2), console.log);
  } catch (error) {
    console.error(`npm run export:web: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}

if (require.main === module) void main();
