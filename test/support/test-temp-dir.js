/**
 * One temporary folder per test run, removed when the run ends. Tests, CDK apps (each `new App()` without an outdir
 * writes a cdk.out folder of 20 MB or more into the system's temp folder and never removes it) and the servers tests
 * start all write to os.tmpdir(); pointing TMPDIR at this folder before the workers start keeps a run from leaving
 * gigabytes behind.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const RUN_DIR_VARIABLE = 'MODEL_ENDPOINT_TEST_TMPDIR';

async function setup() {
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-endpoint-test-'));
  process.env[RUN_DIR_VARIABLE] = runDir;
  // Workers are forked after global setup and inherit this environment; os.tmpdir() reads TMPDIR on every call.
  process.env.TMPDIR = runDir;
}

async function teardown() {
  const runDir = process.env[RUN_DIR_VARIABLE];
  if (runDir !== undefined) fs.rmSync(runDir, { recursive: true, force: true });
}

module.exports = { setup, teardown };
