import { copyFileSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import type { ModelDescriptor } from '../../contract/model-descriptor';
import { checkModelsToDeploy } from '../../lib/model-check';
import { describeModel } from '../../lib/model-description';
import { BUNDLE_FILES } from '../../web/bundle-files';
import { examplePage } from './example-page';

const ROOT = path.join(__dirname, '..', '..');

export interface WebBundleRequest {
  readonly name: string;
  readonly version: string;
  readonly modelPath: string;
  readonly outDir: string;
  /** The API to answer from when the model cannot run on the device. @default - none: such a device fails */
  readonly fallbackUrl?: string;
}

/** What was written, with each file's size in bytes, for the command to report. */
export interface WebBundle {
  readonly outDir: string;
  readonly descriptor: ModelDescriptor;
  readonly files: readonly { readonly file: string; readonly bytes: number }[];
}

/**
 * Writes a static folder that runs one model version without a server: the module (web/model-endpoint.mts with
 * onnxruntime-web's WebAssembly build, bundled by esbuild), the WebAssembly file it loads, the model, its descriptor
 * (built as synth builds it, after ONNX Runtime opened the model, so a model the API would refuse is refused here)
 * and an example page. Nothing is fetched from a network, now or when the bundle runs.
 */
export async function writeWebBundle(request: WebBundleRequest): Promise<WebBundle> {
  const [checked] = await checkModelsToDeploy([request]);
  const { descriptorJson, descriptor } = describeModel(checked);
  const { outDir } = request;
  mkdirSync(outDir, { recursive: true });
  buildSync({
    entryPoints: [path.join(ROOT, 'web', 'model-endpoint.mts')],
    outfile: path.join(outDir, BUNDLE_FILES.module),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    // Node's fs is only imported to read the bundle's own files when it runs under Node (asset-bytes.ts).
    external: ['node:*'],
    define: { EXPORTED_FALLBACK_URL: JSON.stringify(request.fallbackUrl ?? '') },
    logLevel: 'warning',
  });
  const wasm = require.resolve(`onnxruntime-web/${BUNDLE_FILES.wasm}`, { paths: [ROOT] });
  copyFileSync(wasm, path.join(outDir, BUNDLE_FILES.wasm));
  copyFileSync(request.modelPath, path.join(outDir, BUNDLE_FILES.model));
  writeFileSync(path.join(outDir, BUNDLE_FILES.descriptor), descriptorJson);
  writeFileSync(path.join(outDir, BUNDLE_FILES.example), examplePage(descriptor));
  const files = [
    BUNDLE_FILES.module,
    BUNDLE_FILES.wasm,
    BUNDLE_FILES.model,
    BUNDLE_FILES.descriptor,
    BUNDLE_FILES.example,
  ];
  return {
    outDir,
    descriptor,
    files: files.map((file) => ({ file, bytes: statSync(path.join(outDir, file)).size })),
  };
}
