import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readModelManifest, scanModelRepository } from '../contract/model-repository';
import { openModelSession } from '../contract/onnx-model-spec';
import { DEFAULT_MODELS_DIR } from '../lambda/local/options';
import { modelTypesSource } from './model-types-source';

export const TYPES_USAGE = `Usage: model-endpoint types [--models <dir>] [--out <file.ts>]

Writes a TypeScript interface of every model's input and output datatypes
(highest version), read from the ONNX graphs as a deploy reads them. Give it
to the client: new ModelEndpointClient<Models>({ url }).

  --models <dir>   model repository folder (default ${DEFAULT_MODELS_DIR})
  --out <file>     write it there (default: print it)`;

export async function types(argv: readonly string[], print: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: { models: { type: 'string', default: DEFAULT_MODELS_DIR }, out: { type: 'string' } },
  });
  if (positionals.length > 0) throw new Error(`unexpected argument "${positionals[0]}"\n\n${TYPES_USAGE}`);
  const { InferenceSession } = await import('onnxruntime-node');
  const models = [];
  for (const model of scanModelRepository(values.models).models) {
    const version = model.versions[model.versions.length - 1];
    const { session, spec } = await openModelSession(
      model.name,
      version.version,
      readFileSync(version.modelPath),
      (bytes) => InferenceSession.create(bytes, { logSeverityLevel: 3 }),
    );
    await session.release();
    models.push({ spec, manifest: version.manifestPath === undefined ? {} : readModelManifest(version.manifestPath) });
  }
  const source = modelTypesSource(models);
  if (values.out === undefined) print(source.trimEnd());
  else {
    writeFileSync(values.out, source);
    print(`wrote the types of ${models.length} model(s) to ${values.out}`);
  }
  return 0;
}
