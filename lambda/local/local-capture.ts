import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CaptureEnvironment } from '../../contract/environment';
import { MANIFEST_FILE, readModelManifest } from '../../contract/model-repository';
import { type ApiGatewayHandler, createApiGatewayHandler } from '../api-gateway-handler';
import type { ModelRegistry } from '../model/model-registry';
import type { ModelSource } from '../model/model-source';
import { withCapture } from '../monitoring/capture-sampling';
import { CaptureFolder } from './capture-folder';
import type { LocalCaptureOption } from './options';

/**
 * The twin's handler with capture on (`--capture DIR`): the same capture wrapper and feedback route as a captured
 * model's function, writing to a folder instead of the log. The versions are those the twin serves; their
 * model.json gives the feature names that --capture-drop and --capture-hash may name.
 */
export function capturingHandler(
  registry: ModelRegistry,
  served: readonly ModelSource[],
  option: LocalCaptureOption,
  print: (line: string) => void,
  warn: (line: string) => void,
): { handler: ApiGatewayHandler; folder: CaptureFolder } {
  const folder = new CaptureFolder(option.folder, warn);
  const features = new Map(served.map((source) => [`${source.name}/${source.version}`, featuresOf(source)]));
  let hashSalt = process.env[CaptureEnvironment.hashSalt] ?? '';
  if (option.hashFields.length > 0 && hashSalt === '') {
    hashSalt = randomBytes(16).toString('hex');
    print(
      `capture: hashes use a random salt for this run; set ${CaptureEnvironment.hashSalt} to compare them across runs`,
    );
  }
  const answering = createApiGatewayHandler(registry, { feedback: (record) => folder.writeFeedback(record) });
  const handler = withCapture(
    answering,
    { ...option, hashSalt },
    {
      write: (record) => folder.writeCapture(record),
      servedVersion: (model, version) => registry.servedVersion(model, version),
      features: (model, version) => features.get(`${model}/${version}`),
    },
  );
  const share = `${Math.round(option.sampleRate * 1000) / 10} %`;
  print(`capture: ${share} of inferences, and all feedback, go to ${path.resolve(option.folder)}`);
  return { handler, folder };
}

function featuresOf(source: ModelSource): readonly string[] | undefined {
  const manifestPath = path.join(path.dirname(source.location), MANIFEST_FILE);
  return fs.existsSync(manifestPath) ? readModelManifest(manifestPath).features : undefined;
}
