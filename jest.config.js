/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: '<rootDir>/test/support/onnx-runtime-environment.js',
  roots: ['<rootDir>/test'],
  setupFiles: ['<rootDir>/test/support/quiet-logs.js'],
  // Everything a run writes to the temp folder goes into one folder that is removed at the end.
  globalSetup: '<rootDir>/test/support/global-setup.js',
  globalTeardown: '<rootDir>/test/support/global-teardown.js',
  testMatch: ['**/*.test.ts'],
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  // CDK synth and ONNX Runtime sessions are CPU-heavy; two workers match the CI machine's cores.
  maxWorkers: 2,
  testTimeout: 60_000,
};
