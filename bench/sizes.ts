import * as fs from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { BUILD_DIR } from './cases';
import { REPO_ROOT } from './children';

export interface BundleSize {
  readonly path: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  readonly sourceMapBytes: number;
  /** The biggest contributors by package, bytes in the minified output. */
  readonly largestPackages: Array<{ readonly name: string; readonly bytes: number }>;
}

export interface LayerSize {
  readonly bytes: number;
  readonly files: number;
  /** Where the number comes from: the synthesized asset, or an estimate from node_modules. */
  readonly source: string;
  /** The folder measured, when it is a synthesized asset. */
  readonly path?: string;
}

/**
 * Bundles lambda/handler.mts with the options the CDK's NodejsFunction uses (lib/constructs/inference-function.ts):
 * node, target node24, ES module with the createRequire banner, minified, separate source map without sources,
 * ONNX Runtime and the AWS SDK external.
 */
export async function measureBundle(): Promise<BundleSize> {
  const outfile = path.join(BUILD_DIR, 'handler.mjs');
  const result = await build({
    entryPoints: [path.join(REPO_ROOT, 'lambda', 'handler.mts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    external: ['onnxruntime-node', '@aws-sdk/*'],
    metafile: true,
    logLevel: 'error',
  });
  const byPackage = new Map<string, number>();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
      const name = match === null ? input.split('/').slice(0, 1).join('/') || input : match[1];
      byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
    }
  }
  const code = fs.readFileSync(outfile);
  return {
    path: outfile,
    bytes: code.byteLength,
    gzipBytes: gzipSync(code, { level: 9 }).byteLength,
    sourceMapBytes: fs.statSync(`${outfile}.map`).size,
    largestPackages: [...byPackage]
      .map(([name, bytes]) => ({ name, bytes }))
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, 6),
  };
}

function directorySize(
  dir: string,
  include: (relative: string) => boolean = () => true,
): { bytes: number; files: number } {
  let bytes = 0;
  let files = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    if (!include(path.relative(dir, full))) continue;
    bytes += fs.statSync(full).size;
    files += 1;
  }
  return { bytes, files };
}

/** The synthesized ONNX Runtime layer asset in cdk.out when there is one, found through the template's metadata. */
function synthesizedLayerDir(): string | undefined {
  const cdkOut = path.join(REPO_ROOT, 'cdk.out');
  if (!fs.existsSync(cdkOut)) return undefined;
  for (const file of fs.readdirSync(cdkOut).filter((name) => name.endsWith('.template.json'))) {
    const template = JSON.parse(fs.readFileSync(path.join(cdkOut, file), 'utf8')) as {
      Resources?: Record<
        string,
        { Type?: string; Properties?: { Description?: unknown }; Metadata?: Record<string, unknown> }
      >;
    };
    for (const resource of Object.values(template.Resources ?? {})) {
      const assetPath = resource.Metadata?.['aws:asset:path'];
      const description = String(resource.Properties?.Description ?? '');
      if (
        resource.Type === 'AWS::Lambda::LayerVersion' &&
        /onnxruntime/i.test(description) &&
        typeof assetPath === 'string'
      ) {
        const dir = path.join(cdkOut, assetPath);
        if (fs.existsSync(dir) && fs.statSync(dir).isDirectory()) return dir;
      }
    }
  }
  return undefined;
}

export function measureLayer(): LayerSize {
  const dir = synthesizedLayerDir();
  if (dir !== undefined) {
    const modified = fs.statSync(dir).mtime.toISOString();
    return { ...directorySize(dir), source: `cdk.out, synthesized ${modified.slice(0, 16)}`, path: dir };
  }
  // What the layer would hold: the linux-arm64 binaries and the JavaScript of onnxruntime-node and -common.
  const modules = path.join(REPO_ROOT, 'node_modules');
  const node = directorySize(
    path.join(modules, 'onnxruntime-node'),
    (relative) => !relative.startsWith('bin/') || /^bin\/napi-v\d+\/linux\/arm64\//.test(relative),
  );
  const common = directorySize(path.join(modules, 'onnxruntime-common'));
  return {
    bytes: node.bytes + common.bytes,
    files: node.files + common.files,
    source:
      'estimate: no synthesized layer in cdk.out, so node_modules/onnxruntime-node (linux-arm64 only) + onnxruntime-common',
  };
}
