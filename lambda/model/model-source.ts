import { scanModelRepository } from '../../contract/model-repository';
import { readRegularFile } from '../../contract/regular-file';
import { verifySha256 } from './checksum';

/** Where one model version's bytes come from: a local repository folder, a file inside an image, or S3. */
export interface ModelSource {
  readonly name: string;
  readonly version: string;
  /** Human-readable location for logs and errors, e.g. `s3://bucket/key` or a file path. */
  readonly location: string;
  /** The sha256 the deployment pinned, which `readBytes` verifies; absent for a local folder. */
  readonly sha256?: string;
  /** Reads (and, where a checksum is pinned, verifies) the artifact. */
  readBytes(): Promise<Uint8Array>;
}

export class FileModelSource implements ModelSource {
  readonly location: string;

  /** `sha256`: the pinned checksum of a model inside an image (MODEL_SHA256); a local folder has none. */
  constructor(
    readonly name: string,
    readonly version: string,
    modelPath: string,
    readonly sha256?: string,
  ) {
    this.location = modelPath;
  }

  async readBytes(): Promise<Uint8Array> {
    // Never a FIFO or device: init would block on it forever, or read it until memory runs out.
    const bytes = await readRegularFile(this.location);
    if (this.sha256 !== undefined) verifySha256(bytes, this.sha256, this.location);
    return bytes;
  }
}

export interface LocalModels {
  readonly sources: ModelSource[];
  /** What the folder holds that cannot be served, each with what to do; the local server prints them at start. */
  readonly warnings: readonly string[];
}

/**
 * Every version of every model in a local repository folder (`<name>/<version>/model.onnx`), read through the same
 * scanner as synth. A broken `model.json` fails the scan with the message synth gives, so the twin refuses what a
 * deploy would.
 */
export function localModels(folder: string): LocalModels {
  const repository = scanModelRepository(folder);
  const sources = repository.models.flatMap((model) =>
    model.versions.map((version) => new FileModelSource(model.name, version.version, version.modelPath)),
  );
  return { sources, warnings: repository.warnings };
}

/** The model sources of a folder alone, for callers with no one to show warnings to (tests, benchmarks). */
export function modelSourcesFromFolder(folder: string): ModelSource[] {
  return localModels(folder).sources;
}
