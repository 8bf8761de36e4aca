import { descriptorMismatch, type ModelDescriptor } from '../../contract/model-descriptor';
import { sha256Hex } from './checksum';
import { type DescriptorSource, readDescriptorOf } from './descriptor-source';
import type { LoadedModel, ModelBackend, PlaceModel } from './model-backend';
import type { ModelSource } from './model-source';

/**
 * A model run by ONNX Runtime: bytes from a folder, S3 or an image, a session placed where the entry point chose.
 * Where the deployment gives a descriptor, the session must match it or the model is not served: the descriptor is
 * the contract the API validates and documents, so a model file from another build must not answer under it.
 * Without one (a local folder) the session's own spec is the contract.
 */
export class OnnxRuntimeBackend implements ModelBackend {
  readonly name: string;
  readonly version: string;
  readonly location: string;

  constructor(
    private readonly source: ModelSource,
    private readonly place: PlaceModel,
    readonly descriptor?: DescriptorSource,
  ) {
    this.name = source.name;
    this.version = source.version;
    this.location = source.location;
  }

  async load(): Promise<LoadedModel> {
    const [bytes, descriptor] = await Promise.all([
      this.source.readBytes(),
      this.descriptor === undefined ? undefined : readDescriptorOf(this.descriptor, this),
    ]);
    if (descriptor !== undefined) this.checkArtifact(descriptor, bytes);
    const model = await this.place(this.name, this.version, bytes);
    const mismatch = descriptor === undefined ? undefined : descriptorMismatch(descriptor, model.spec);
    if (mismatch !== undefined) {
      await model.release();
      throw new Error(mismatch);
    }
    return model;
  }

  private checkArtifact(descriptor: ModelDescriptor, bytes: Uint8Array): void {
    const where = this.descriptor?.location ?? 'the descriptor';
    // A pinned source has verified its bytes against its sha256 already; hashing a big model again costs seconds.
    const sha256 = this.source.sha256 ?? sha256Hex(bytes);
    if (descriptor.artifact.sha256 !== sha256) {
      throw new Error(
        `${where} describes the model file with sha256 ${descriptor.artifact.sha256}, but ${this.location} has ` +
          `sha256 ${sha256}: the model file and its descriptor do not belong together; redeploy`,
      );
    }
  }
}

/** Each source as an ONNX Runtime backend without a descriptor (a local folder), placed by `place`. */
export function onnxBackends(sources: readonly ModelSource[], place: PlaceModel): OnnxRuntimeBackend[] {
  return sources.map((source) => new OnnxRuntimeBackend(source, place));
}
