import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { S3ObjectReader } from './signed-s3-get';

/** The full S3 client as an object reader, for functions that load it anyway (the pre-traffic hook). */
export function sdkS3Reader(client: S3Client): S3ObjectReader {
  return {
    async getObject(bucket, key) {
      const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (response.Body === undefined) throw new Error(`s3://${bucket}/${key} returned no body`);
      return response.Body.transformToByteArray();
    },
  };
}
