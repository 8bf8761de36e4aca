import { readFile } from 'node:fs/promises';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type ModelDescriptor, parseModelDescriptor } from '../../contract/model-descriptor';
import { verifySha256 } from './checksum';

/** Where a deployed model's descriptor comes from; `read` verifies its pinned sha256 and parses it. */
export interface DescriptorSource {
  readonly location: string;
  read(): Promise<ModelDescriptor>;
}

/** The content-addressed descriptor in the model bucket, pinned by MODEL_DESCRIPTOR_SHA256. */
export class S3DescriptorSource implements DescriptorSource {
  readonly location: string;

  constructor(
    private readonly client: S3Client,
    private readonly object: { readonly bucket: string; readonly key: string; readonly sha256: string },
  ) {
    this.location = `s3://${object.bucket}/${object.key}`;
  }

  async read(): Promise<ModelDescriptor> {
    const response = await this.client.send(new GetObjectCommand({ Bucket: this.object.bucket, Key: this.object.key }));
    if (response.Body === undefined) throw new Error(`${this.location} returned no body`);
    const bytes = await response.Body.transformToByteArray();
    verifySha256(bytes, this.object.sha256, this.location);
    return parseModelDescriptor(Buffer.from(bytes).toString('utf8'), this.location);
  }
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

  async read(): Promise<ModelDescriptor> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.location);
    } catch (error) {
      throw new Error(
        `cannot read the model descriptor ${this.location} (${(error as Error).message}): the image must hold ` +
          'descriptor.json beside the model file; rebuild it with cdk deploy',
      );
    }
    if (this.sha256 !== undefined) verifySha256(bytes, this.sha256, this.location);
    return parseModelDescriptor(bytes.toString('utf8'), this.location);
  }
}
