const PROGRESS_LINE = /^Bundling asset .*\.\.\.\n$/;

/**
 * Builds constructs without the "Bundling asset <path>..." line that aws-cdk-lib writes to stderr for every asset
 * it bundles: progress for a `cdk synth` in a terminal, noise in a test report. Every other write passes through.
 */
export function withoutBundlingProgress<T>(build: () => T): T {
  const stderr = process.stderr;
  const write = stderr.write;
  stderr.write = ((...args: Parameters<typeof write>) =>
    typeof args[0] === 'string' && PROGRESS_LINE.test(args[0]) ? true : write.apply(stderr, args)) as typeof write;
  try {
    return build();
  } finally {
    stderr.write = write;
  }
}
