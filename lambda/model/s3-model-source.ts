import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { verifySha256 } from './checksum';
import type { ModelSource } from './model-source';

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
    private readonly client: S3Client,
    private readonly artifact: S3ModelLocation,
  ) {
    this.name = artifact.name;
    this.version = artifact.version;
    this.location = `s3://${artifact.bucket}/${artifact.key}`;
    this.sha256 = artifact.sha256.toLowerCase();
  }

  readBytes(): Promise<Uint8Array> {
    return readPinnedS3Object(this.client, this.artifact);
  }
}

/**
 * One content-addressed object of the model bucket (an artifact or its descriptor), refused unless its sha256 is the
 * one the deployment pinned.
 */
export async function readPinnedS3Object(
  client: S3Client,
  object: { readonly bucket: string; readonly key: string; readonly sha256: string },
): Promise<Uint8Array> {
  const location = `s3://${object.bucket}/${object.key}`;
  const response = await client.send(new GetObjectCommand({ Bucket: object.bucket, Key: object.key }));
  if (response.Body === undefined) throw new Error(`${location} returned no body`);
  const bytes = await response.Body.transformToByteArray();
  verifySha256(bytes, object.sha256, location);
  return bytes;
}
