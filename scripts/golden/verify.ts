// Before the runtime's observability loads: its metric lines and INFO logs are for Lambda, not for this console.
import '../../lambda/local/local-defaults';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { parseGoldenSet } from '../../contract/golden-set';
import { scanModelRepository } from '../../contract/model-repository';
import { DEFAULT_MODELS_DIR } from '../../lambda/local/options';
import { selectServedVersions } from '../../lambda/local/served-versions';
import { serveModels } from '../../lambda/local-server';
import { localModels } from '../../lambda/model/model-source';
import { goldenLabel } from '../../lambda/rollout/golden-request';
import { replayGoldenSet, type SendGoldenRequest } from '../../lambda/rollout/replay-golden-set';

export const VERIFY_USAGE = `Usage: npm run verify [-- options]

Starts the local twin on a free loopback port, replays the golden set (golden.json) of every served model version
against it over HTTP, as a deploy's pre-traffic check does, and exits 1 if any answer differs beyond the tolerance.

Options:
  --models <dir>    model repository folder (default ${DEFAULT_MODELS_DIR})
  --all-versions    check every version of each model; by default only the highest, which a deploy serves
  -h, --help        print this help and exit
`;

/** Replays every golden set; prints one line per served model version. Returns whether all passed. */
export async function verifyGoldenSets(argv: readonly string[], print: (line: string) => void): Promise<boolean> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      models: { type: 'string', default: DEFAULT_MODELS_DIR },
      'all-versions': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    print(VERIFY_USAGE);
    return true;
  }
  if (positionals.length > 0)
    throw new Error(`unexpected argument "${positionals[0]}"; use --models ${positionals[0]}`);
  const modelsDir = values.models;
  const goldenSets = new Map<string, string>();
  for (const model of scanModelRepository(modelsDir).models) {
    for (const version of model.versions) {
      if (version.goldenSetPath !== undefined)
        goldenSets.set(`${model.name}/${version.version}`, version.goldenSetPath);
    }
  }
  const { sources, warnings } = localModels(modelsDir);
  for (const warning of warnings) print(`warning: ${warning}`);
  if (sources.length === 0) throw new Error(`no models in ${modelsDir}: add one as <name>/<version>/model.onnx`);
  const allVersions = values['all-versions'];
  const { served, unserved } = selectServedVersions(sources, allVersions);
  const { server, registry } = await serveModels(
    served,
    { port: 0, host: '127.0.0.1', allVersions: true, logRequests: false },
    () => undefined,
  );
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  print(`replaying golden sets of ${served.length} model version(s) in ${modelsDir} against the local twin at ${url}`);
  const send: SendGoldenRequest = async (route, body) => {
    const response = await fetch(`${url}${route}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    return { status: response.status, body: await response.text() };
  };
  let failed = 0;
  const missing: typeof served = [];
  try {
    for (const source of served) {
      const target = { model: source.name, version: source.version };
      const goldenPath = goldenSets.get(`${source.name}/${source.version}`);
      if (goldenPath === undefined) {
        missing.push(source);
        continue;
      }
      let outcome: Awaited<ReturnType<typeof replayGoldenSet>>;
      try {
        outcome = await replayGoldenSet(parseGoldenSet(readFileSync(goldenPath, 'utf8'), goldenPath), target, send);
      } catch (error) {
        failed++;
        print(`FAIL ${goldenLabel(target)}: ${(error as Error).message}`);
        continue;
      }
      if (outcome.passed) {
        print(
          `ok   ${source.name} version ${source.version}: ${outcome.cases} of ${outcome.cases} cases passed in ${outcome.ms} ms`,
        );
      } else {
        failed++;
        print(`FAIL ${outcome.message}`);
      }
    }
  } finally {
    server.close();
    server.closeAllConnections();
    await registry.release();
  }
  for (const { name, version } of missing) {
    print(
      `no golden set: ${name} version ${version}; record one with npm run golden -- ${path.join(modelsDir, name, version)}`,
    );
  }
  if (!allVersions && unserved.size > 0) {
    print(
      `not checked: versions a deploy does not serve (${[...unserved].map(([name, versions]) => `${name} ${versions.join(', ')}`).join('; ')}); add --all-versions to check them too`,
    );
  }
  const checked = served.length - missing.length;
  print(failed === 0 ? `${checked} golden set(s) passed` : `${failed} of ${checked} golden set(s) failed`);
  return failed === 0;
}

async function main(): Promise<void> {
  try {
    process.exitCode = (await verifyGoldenSets(process.argv.slice(2), console.log)) ? 0 : 1;
  } catch (error) {
    console.error(`npm run verify: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}

if (require.main === module) void main();
