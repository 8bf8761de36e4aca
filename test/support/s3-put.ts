import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/**
 * PUTs an object and returns once s3rver serves it in full. s3rver answers a PUT whose body it holds in memory before
 * its file is written, so a GET right after can read an empty or partial object on a busy machine; real S3 is
 * read-after-write consistent, which this restores for the tests.
 */
export async function putObjectAndWait(client: S3Client, bucket: string, key: string, body: Uint8Array | string) {
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  const expected = Buffer.byteLength(body);
  for (let attempt = 0; attempt < 100; attempt++) {
    const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const bytes = await object.Body?.transformToByteArray();
    if (bytes?.byteLength === expected) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`s3rver did not serve ${key} in full within 2 s of its PUT`);
}
