import { traced } from '../observability';
import { verifySha256 } from './checksum';
import type { ModelSource } from './model-source';
import type { S3ObjectReader } from './signed-s3-get';

export interface S3ModelLocation {
  readonly name: string;
  readonly version: string;
  readonly bucket: string;
  readonly key: string;
  /** Lowercase hex sha256 pinned at deploy time. */
  readonly sha256: string;
}

/** Reads a content-addressed artifact from S3 and refuses it unless its sha256 is the one the deployment pinned. */
export class S3ModelSource implements ModelSource {
  readonly name: string;
  readonly version: string;
  readonly location: string;
  readonly sha256: string;

  constructor(
    private readonly reader: S3ObjectReader,
    private readonly artifact: S3ModelLocation,
  ) {
    this.name = artifact.name;
    this.version = artifact.version;
    this.location = `s3://${artifact.bucket}/${artifact.key}`;
    this.sha256 = artifact.sha256.toLowerCase();
  }

  readBytes(): Promise<Uint8Array> {
    return readPinnedS3Object(this.reader, this.artifact);
  }
}

/**
 * One content-addressed object of the model bucket (an artifact or its descriptor), refused unless its sha256 is the
 * one the deployment pinned. A GET inside an invocation (a load retried after a failed init) gets its own X-Ray
 * subsegment; during init there is no trace to attach it to.
 */
export async function readPinnedS3Object(
  reader: S3ObjectReader,
  object: { readonly bucket: string; readonly key: string; readonly sha256: string },
): Promise<Uint8Array> {
  const location = `s3://${object.bucket}/${object.key}`;
  const bytes = await traced('S3 GetObject', () => reader.getObject(object.bucket, object.key));
  verifySha256(bytes, object.sha256, location);
  return bytes;
}
