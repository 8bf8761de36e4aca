import { readFile } from 'node:fs/promises';
import { scanModelRepository } from '../../contract/model-repository';

/** Where one model version's bytes come from: a local repository folder or S3. */
export interface ModelSource {
  readonly name: string;
  readonly version: string;
  /** Human-readable location for logs and errors, e.g. `s3://bucket/key` or a file path. */
  readonly location: string;
  /** Reads (and, where a checksum is pinned, verifies) the artifact. */
  readBytes(): Promise<Uint8Array>;
}

export class FileModelSource implements ModelSource {
  readonly location: string;

  constructor(
    readonly name: string,
    readonly version: string,
    modelPath: string,
  ) {
    this.location = modelPath;
  }

  readBytes(): Promise<Uint8Array> {
    return readFile(this.location);
  }
}

/** Every version of every model in a local repository folder (`<name>/<version>/model.onnx`). */
export function modelSourcesFromFolder(folder: string): ModelSource[] {
  return scanModelRepository(folder).flatMap((model) =>
    model.versions.map((version) => new FileModelSource(model.name, version.version, version.modelPath)),
  );
}
