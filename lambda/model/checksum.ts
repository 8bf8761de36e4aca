import { sha256Hex } from '../../contract/model-descriptor';

export { sha256Hex };

/**
 * Refuses bytes whose sha256 differs from the one pinned at deploy time: a changed or truncated artifact must never
 * be served under a version that promised other weights.
 */
export function verifySha256(bytes: Uint8Array, expected: string, source: string): void {
  const actual = sha256Hex(bytes);
  if (actual !== expected.toLowerCase()) {
    throw new ChecksumMismatchError(
      `${source} has sha256 ${actual} but the deployment pinned ${expected}: the artifact changed after deploy; ` +
        'redeploy (cdk deploy) to upload and pin it again',
    );
  }
}

export class ChecksumMismatchError extends Error {
  override readonly name = 'ChecksumMismatchError';
}
