import { PreTrafficHookEnvironment } from '../../../contract/environment';
import { createPreTrafficHook, REPORT_MARGIN_MS } from '../../../lambda/rollout/pre-traffic-hook';
import { CRASH_MESSAGE, demoGoldenSet, FUNCTIONS, type HookPeers, startHookPeers } from './support/hook-peers';

// Every peer is real or speaks the real protocol on loopback: s3rver holds the golden sets, a Lambda Invoke endpoint
// runs the model handler in-process on the demo models, and a CodeDeploy endpoint records the reported status.
let peers: HookPeers;
beforeAll(async () => {
  peers = await startHookPeers();
});
afterAll(() => peers.close());

const event = { DeploymentId: 'd-EXAMPLE11', LifecycleEventHookExecutionId: 'hook-execution-1' };

async function runHook(env: NodeJS.ProcessEnv) {
  const reportedBefore = peers.codeDeploy.reported.length;
  const outcome = await createPreTrafficHook(peers.clients, env)(event);
  expect(peers.codeDeploy.reported.slice(reportedBefore)).toEqual([
    {
      deploymentId: event.DeploymentId,
      lifecycleEventHookExecutionId: event.LifecycleEventHookExecutionId,
      status: outcome.status,
    },
  ]);
  return outcome;
}

describe('pre-traffic hook', () => {
  it.each(['penguins', 'mnist'] as const)(
    'reports Succeeded when the new version answers every case of the %s golden set',
    async (model) => {
      const golden = await peers.putGoldenSet(model, '1', demoGoldenSet(model));
      const invokedBefore = peers.lambda.invoked.length;
      const outcome = await runHook(peers.environment(FUNCTIONS.demo, model, '1', golden));
      expect(outcome).toEqual({ status: 'Succeeded', message: `golden set of ${model} version 1: 9 cases passed` });
      // One invocation per case, each of exactly the new version (a qualified ARN), never the live alias.
      expect(peers.lambda.invoked.slice(invokedBefore)).toEqual(Array(9).fill(FUNCTIONS.demo));
    },
  );

  it('fails naming the case and the output difference on a perturbed copy of the model', async () => {
    const golden = await peers.putGoldenSet('penguins', '1', demoGoldenSet('penguins'));
    const outcome = await runHook(peers.environment(FUNCTIONS.perturbed, 'penguins', '1', golden));
    // The first tree now votes for the wrong species: the label still holds, the probabilities moved by 1/25.
    expect(outcome).toEqual({
      status: 'Failed',
      message:
        'golden set of penguins version 1: case "held-out row 0": output "probabilities" element 0 (index [0, 0]) is ' +
        '0.9466667771339417, expected 0.9866667985916138 (difference 0.04, tolerance 0.0001087)',
    });
  });

  it("fails naming the case and the answer when another model's golden set is replayed (mnist's against penguins)", async () => {
    const golden = await peers.putGoldenSet('penguins', '1', demoGoldenSet('mnist'));
    const outcome = await runHook(peers.environment(FUNCTIONS.demo, 'penguins', '1', golden));
    expect(outcome.status).toBe('Failed');
    expect(outcome.message).toMatch(
      /^golden set of penguins version 1: case "held-out row 0": the answer is status 400, expected 200 \(.*pixels.*\)$/,
    );
  });

  it('fails when the golden set in S3 is not the one the deployment pinned', async () => {
    const golden = await peers.putGoldenSet('penguins', '1', demoGoldenSet('penguins'));
    const pinned = 'a'.repeat(64);
    const outcome = await runHook(
      peers.environment(FUNCTIONS.demo, 'penguins', '1', { key: golden.key, sha256: pinned }),
    );
    expect(outcome.status).toBe('Failed');
    expect(outcome.message).toContain(
      `golden set of penguins version 1: s3://model-bucket/${golden.key} has sha256 ${golden.sha256} but the deployment pinned ${pinned}`,
    );
  });

  it('fails with the reason when the new version crashes (a function error)', async () => {
    const golden = await peers.putGoldenSet('penguins', '1', demoGoldenSet('penguins'));
    const outcome = await runHook(peers.environment(FUNCTIONS.crashing, 'penguins', '1', golden));
    expect(outcome).toEqual({
      status: 'Failed',
      message: `golden set of penguins version 1: case "held-out row 0": the request failed: ${FUNCTIONS.crashing} failed (Unhandled): Error: ${CRASH_MESSAGE}`,
    });
  });

  it('fails with the reason when the new version cannot be invoked', async () => {
    const golden = await peers.putGoldenSet('penguins', '1', demoGoldenSet('penguins'));
    const outcome = await runHook(peers.environment(FUNCTIONS.missing, 'penguins', '1', golden));
    expect(outcome.status).toBe('Failed');
    expect(outcome.message).toContain(
      `case "held-out row 0": the request failed: invoking ${FUNCTIONS.missing} failed: Function not found`,
    );
  });

  it('fails with the answer when the new version answers 5xx (its model cannot load)', async () => {
    const golden = await peers.putGoldenSet('penguins', '1', demoGoldenSet('penguins'));
    const outcome = await runHook(peers.environment(FUNCTIONS.unloadable, 'penguins', '1', golden));
    expect(outcome.status).toBe('Failed');
    expect(outcome.message).toMatch(
      /^golden set of penguins version 1: case "held-out row 0": the answer is status 503, expected 200/,
    );
  });

  it('fails within its time budget, leaving time to report, when the new version does not answer', async () => {
    const golden = await peers.putGoldenSet('penguins', '1', demoGoldenSet('penguins'));
    const hook = createPreTrafficHook(peers.clients, peers.environment(FUNCTIONS.slow, 'penguins', '1', golden));
    const reportedBefore = peers.codeDeploy.reported.length;
    // Lambda says 1 s is left beyond the reporting margin: far less than the slow version takes to answer.
    const outcome = await hook(event, { getRemainingTimeInMillis: () => REPORT_MARGIN_MS + 1_000 });
    expect(outcome.status).toBe('Failed');
    expect(outcome.message).toMatch(
      new RegExp(
        `case "held-out row 0": the request failed: invoking ${FUNCTIONS.slow} failed: no answer within \\d+ ms$`,
      ),
    );
    expect(peers.codeDeploy.reported.slice(reportedBefore).map((report) => report.status)).toEqual(['Failed']);
  });

  it('fails without invoking when no time is left before its own timeout', async () => {
    const golden = await peers.putGoldenSet('penguins', '1', demoGoldenSet('penguins'));
    const hook = createPreTrafficHook(peers.clients, peers.environment(FUNCTIONS.demo, 'penguins', '1', golden));
    const outcome = await hook(event, { getRemainingTimeInMillis: () => REPORT_MARGIN_MS });
    expect(outcome.message).toBe(
      `golden set of penguins version 1: case "held-out row 0": the request failed: no time left to invoke ${FUNCTIONS.demo} before the hook's own timeout`,
    );
  });

  it('fails naming the missing settings when its environment is incomplete', async () => {
    const golden = await peers.putGoldenSet('penguins', '1', demoGoldenSet('penguins'));
    const env = peers.environment(FUNCTIONS.demo, 'penguins', '1', golden);
    delete env[PreTrafficHookEnvironment.goldenSha256];
    const outcome = await runHook(env);
    expect(outcome).toEqual({
      status: 'Failed',
      message: `pre-traffic golden set check: the hook's environment lacks ${PreTrafficHookEnvironment.goldenSha256}: the stack sets them; redeploy it`,
    });
  });

  it('fails when the golden set is not valid, naming the object', async () => {
    const golden = await peers.putGoldenSet('penguins', '1', Buffer.from('{"format": 1, "cases": []'));
    const outcome = await runHook(peers.environment(FUNCTIONS.demo, 'penguins', '1', golden));
    expect(outcome.status).toBe('Failed');
    expect(outcome.message).toContain(
      `golden set of penguins version 1: s3://model-bucket/${golden.key} is not valid JSON`,
    );
  });

  it('rejects an event without the deployment to report to', async () => {
    await expect(
      createPreTrafficHook(peers.clients, {})({ DeploymentId: '', LifecycleEventHookExecutionId: '' }),
    ).rejects.toThrow('the pre-traffic hook needs {DeploymentId, LifecycleEventHookExecutionId} from CodeDeploy');
  });
});
