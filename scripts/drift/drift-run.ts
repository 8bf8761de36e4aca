import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CaptureRecord } from '../../contract/capture';
import { buildModelDescriptor, type ModelDescriptor, sha256Hex } from '../../contract/model-descriptor';
import { MANIFEST_FILE, MODEL_FILE, readModelManifest } from '../../contract/model-repository';
import { loadOnnxModel } from '../../lambda/model/onnx-model';
import { startWindow, type WindowDrift } from '../../lambda/monitoring/window-drift';
import type { CapturedVersion } from './capture-files';

export interface VersionDrift {
  readonly model: string;
  readonly version: string;
  /** Capture files read. */
  readonly files: number;
  readonly drift: WindowDrift;
}

export interface ReadProgress {
  readonly filesRead: number;
  readonly filesTotal: number;
  readonly records: number;
}

/**
 * The descriptor of a model version in the local repository, as synth builds it: the ONNX file's spec and sha256
 * and the version's model.json (with its baseline). Throws, saying where the model was looked for, when it is not
 * there.
 */
export async function localDescriptor(modelsDir: string, model: string, version: string): Promise<ModelDescriptor> {
  const folder = path.join(modelsDir, model, version);
  const modelPath = path.join(folder, MODEL_FILE);
  if (!fs.existsSync(modelPath)) {
    throw new Error(
      `captures of model "${model}" version ${version} were found, but ${modelPath} does not exist; ` +
        'pass --models with the model repository the server ran with',
    );
  }
  const manifestPath = path.join(folder, MANIFEST_FILE);
  const manifest = fs.existsSync(manifestPath) ? readModelManifest(manifestPath) : {};
  const bytes = fs.readFileSync(modelPath);
  const loaded = await loadOnnxModel(model, version, bytes);
  await loaded.release();
  return buildModelDescriptor(loaded.spec, { sha256: sha256Hex(bytes), sizeBytes: bytes.length }, manifest);
}

/**
 * Counts one version's capture files against its baseline, one file at a time. Lines that are not JSON, records
 * answered before `since` are left out (the first counted as skipped, the second not at all: they are outside the
 * window, not broken).
 */
export function versionDrift(
  descriptor: ModelDescriptor,
  captured: CapturedVersion,
  since: Date | undefined,
  onFile: (progress: ReadProgress) => void,
): VersionDrift {
  const window = startWindow(descriptor);
  const sinceIso = since?.toISOString();
  let records = 0;
  captured.files.forEach((file, index) => {
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, lineIndex) => {
      if (line.trim() === '') return;
      let record: CaptureRecord;
      try {
        record = JSON.parse(line) as CaptureRecord;
      } catch {
        window.skip(`line ${lineIndex + 1} of ${file} is not JSON`);
        return;
      }
      // ISO 8601 UTC times with milliseconds compare as text in time order.
      if (sinceIso !== undefined && typeof record.time === 'string' && record.time < sinceIso) return;
      records++;
      window.add(record);
    });
    onFile({ filesRead: index + 1, filesTotal: captured.files.length, records });
  });
  return { model: captured.model, version: captured.version, files: captured.files.length, drift: window.result() };
}
