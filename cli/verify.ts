import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { authHeaders } from '../client/auth';
import { parseGoldenSet } from '../contract/golden-set';
import { scanModelRepository } from '../contract/model-repository';
import { DEFAULT_MODELS_DIR } from '../lambda/local/options';
import { type GoldenTarget, goldenLabel } from '../lambda/rollout/golden-request';
import { replayGoldenSet, type SendGoldenRequest } from '../lambda/rollout/replay-golden-set';
import { CONNECTION_OPTIONS, CONNECTION_USAGE, connect } from './connection';

export const VERIFY_USAGE = `Usage: model-endpoint verify [--models <dir>] [--url <url> | --deployed] [...]

Replays the golden set (golden.json) of each model's highest version, as a
deploy's pre-traffic check does, and exits 1 if any answer differs beyond its
tolerance. Without --url or --deployed it starts the local twin on a free
loopback port (as npm run verify does).

  --models <dir>      model repository folder (default ${DEFAULT_MODELS_DIR})
  --all-versions      every version, not only the highest a deploy serves
  --deployed          check the deployed stack (its ApiUrl output)
  --json              one JSON line per golden set
${CONNECTION_USAGE}`;

export async function verify(argv: readonly string[], print: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      ...CONNECTION_OPTIONS,
      models: { type: 'string', default: DEFAULT_MODELS_DIR },
      'all-versions': { type: 'boolean', default: false },
      deployed: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length > 0) throw new Error(`unexpected argument "${positionals[0]}"\n\n${VERIFY_USAGE}`);
  if (values.url === undefined && !values.deployed) {
    // The local twin: exactly what npm run verify does.
    const { verifyGoldenSets } = await import('../scripts/golden/verify.js');
    const args = ['--models', values.models, ...(values['all-versions'] ? ['--all-versions'] : [])];
    return (await verifyGoldenSets(args, print)) ? 0 : 1;
  }
  const { url, auth } = await connect(values);
  const base = url.replace(/\/+$/, '');
  const send: SendGoldenRequest = async (path, body) => {
    const target = new URL(base + path);
    const headers = { 'content-type': 'application/json', accept: 'application/json' };
    const response = await fetch(target, {
      method: 'POST',
      headers: { ...headers, ...(await authHeaders(auth, { method: 'POST', url: target, headers, body })) },
      body,
    });
    return { status: response.status, body: await response.text() };
  };
  const targets: { target: GoldenTarget; file: string }[] = [];
  for (const model of scanModelRepository(values.models).models) {
    const versions = values['all-versions'] ? model.versions : model.versions.slice(-1);
    for (const version of versions) {
      if (version.goldenSetPath !== undefined) {
        targets.push({ target: { model: model.name, version: version.version }, file: version.goldenSetPath });
      } else if (!values.json) {
        print(`no golden set: ${model.name} version ${version.version}; record one with npm run golden`);
      }
    }
  }
  if (targets.length === 0) throw new Error(`no golden sets in ${values.models}: record them with npm run golden`);
  if (!values.json) print(`replaying ${targets.length} golden set(s) against ${url}`);
  let failed = 0;
  for (const { target, file } of targets) {
    const outcome = await replayGoldenSet(parseGoldenSet(readFileSync(file, 'utf8'), file), target, send);
    if (!outcome.passed) failed++;
    if (values.json) print(JSON.stringify({ model: target.model, version: target.version, ...outcome }));
    else
      print(
        outcome.passed
          ? `ok   ${goldenLabel(target)}: ${outcome.cases} cases in ${outcome.ms} ms`
          : `FAIL ${outcome.message}`,
      );
  }
  if (!values.json)
    print(
      failed === 0 ? `${targets.length} golden set(s) passed` : `${failed} of ${targets.length} golden set(s) failed`,
    );
  return failed === 0 ? 0 : 1;
}
