import { type ModelDescriptor, parseModelDescriptor } from '../../contract/model-descriptor';
import { readRegularFile } from '../../contract/regular-file';
import { verifySha256 } from './checksum';
import { readPinnedS3Object } from './s3-model-source';
import type { S3ObjectReader } from './signed-s3-get';

/**
 * Where a deployed model's descriptor comes from; `read` verifies its pinned sha256 and parses it. A descriptor
 * read once is kept: it is pinned, so it cannot change, and the model's load and data capture both need it at init
 * (one GET, not two). A failed read is not kept: the next one tries again.
 */
export interface DescriptorSource {
  readonly location: string;
  read(): Promise<ModelDescriptor>;
}

/** `read`, run once while it succeeds: its first successful result (or the read in flight) is every caller's. */
function keptOnSuccess<T>(read: () => Promise<T>): () => Promise<T> {
  let kept: Promise<T> | undefined;
  return () => {
    if (kept === undefined) {
      const attempt = read();
      kept = attempt;
      attempt.catch(() => {
        if (kept === attempt) kept = undefined;
      });
    }
    return kept;
  };
}

/** The content-addressed descriptor in the model bucket, pinned by MODEL_DESCRIPTOR_SHA256. */
export class S3DescriptorSource implements DescriptorSource {
  readonly location: string;

  constructor(
    private readonly reader: S3ObjectReader,
    private readonly object: { readonly bucket: string; readonly key: string; readonly sha256: string },
  ) {
    this.location = `s3://${object.bucket}/${object.key}`;
  }

  readonly read = keptOnSuccess(async (): Promise<ModelDescriptor> => {
    const bytes = await readPinnedS3Object(this.reader, this.object);
    return parseModelDescriptor(Buffer.from(bytes).toString('utf8'), this.location);
  });
}

/**
 * descriptor.json beside the model inside an image or container. Verified against MODEL_DESCRIPTOR_SHA256 where the
 * deployment pins it; either way the descriptor must describe the pinned model file (its artifact sha256), which the
 * backend checks.
 */
export class FileDescriptorSource implements DescriptorSource {
  constructor(
    readonly location: string,
    private readonly sha256?: string,
  ) {}

  readonly read = keptOnSuccess(async (): Promise<ModelDescriptor> => {
    let bytes: Buffer;
    try {
      bytes = await readRegularFile(this.location);
    } catch (error) {
      throw new Error(
        `cannot read the model descriptor ${this.location} (${(error as Error).message}): the image must hold ` +
          'descriptor.json beside the model file; rebuild it with cdk deploy',
      );
    }
    if (this.sha256 !== undefined) verifySha256(bytes, this.sha256, this.location);
    return parseModelDescriptor(bytes.toString('utf8'), this.location);
  });
}

/**
 * The descriptor of the model version this process serves: read, verified, and refused when it describes another
 * model or version (a deployment that mixed up two models must not serve one under the other's contract).
 */
export async function readDescriptorOf(
  source: DescriptorSource,
  model: { readonly name: string; readonly version: string },
): Promise<ModelDescriptor> {
  const descriptor = await source.read();
  if (descriptor.name !== model.name || descriptor.version !== model.version) {
    throw new Error(
      `${source.location} describes model ${descriptor.name} version ${descriptor.version}, but this function serves ` +
        `${model.name} version ${model.version}: the deployment mixed up two models; redeploy`,
    );
  }
  return descriptor;
}
