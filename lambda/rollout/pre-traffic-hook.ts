import { Logger } from '@aws-lambda-powertools/logger';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { SERVICE_NAME } from '../../contract/environment';
import { parseGoldenSet } from '../../contract/golden-set';
import { readPinnedS3Object } from '../model/s3-model-source';
import { sdkS3Reader } from '../model/sdk-s3-reader';
import { goldenLabel } from './golden-request';
import { readPreTrafficCheck } from './hook-environment';
import { invokeFunctionVersion } from './invoke-function-version';
import { replayGoldenSet } from './replay-golden-set';
import { type HookStatus, type LifecycleHookEvent, reportHookStatus } from './report-hook-status';

const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME || SERVICE_NAME });

/** Time kept back from the hook's own timeout to report the outcome: a hook that never reports stalls the deploy. */
export const REPORT_MARGIN_MS = 5_000;
/** The replay's budget when no Lambda context says how long the invocation may run (a call from a test or script). */
const BUDGET_WITHOUT_CONTEXT_MS = 60_000;

export interface PreTrafficHookClients {
  readonly s3: S3Client;
  readonly lambda: LambdaClient;
  readonly codeDeploy: CodeDeployClient;
}

export interface PreTrafficOutcome {
  readonly status: HookStatus;
  readonly message: string;
}

/**
 * CodeDeploy's BeforeAllowTraffic hook for a model function: reads the model version's golden set from S3 (refused
 * unless its sha256 is the pinned one), invokes the new function version once per case with the API Gateway event
 * real traffic would bring, and reports Succeeded only if every answer matches within the set's tolerance. Anything
 * that goes wrong (settings, S3, the invoke, a 5xx answer, the time budget) is reported as Failed with the reason
 * logged: an unreported crash would leave the deployment waiting for the hook's timeout.
 */
export function createPreTrafficHook(clients: PreTrafficHookClients, env: NodeJS.ProcessEnv = process.env) {
  return async (event: LifecycleHookEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>) => {
    if (!event?.DeploymentId || !event.LifecycleEventHookExecutionId) {
      // Nothing to report to: only CodeDeploy's own invocation carries these.
      throw new Error('the pre-traffic hook needs {DeploymentId, LifecycleEventHookExecutionId} from CodeDeploy');
    }
    const deadline = Date.now() + (context?.getRemainingTimeInMillis() ?? BUDGET_WITHOUT_CONTEXT_MS) - REPORT_MARGIN_MS;
    const outcome = await check(clients, env, deadline);
    // `result`, not `message`: Powertools' Logger reserves `message` for the log line's own and drops the field, which
    // would leave the hook's log without the case and the difference that failed the deployment.
    const details = { deploymentId: event.DeploymentId, status: outcome.status, result: outcome.message };
    if (outcome.status === 'Succeeded') logger.info('golden set check passed', details);
    else logger.error('golden set check failed', details);
    await reportHookStatus(clients.codeDeploy, event, outcome.status);
    return outcome;
  };
}

async function check(clients: PreTrafficHookClients, env: NodeJS.ProcessEnv, deadline: number) {
  let label = 'pre-traffic golden set check';
  try {
    const settings = readPreTrafficCheck(env);
    label = goldenLabel(settings.target);
    const { bucket, key } = settings.golden;
    const bytes = await readPinnedS3Object(sdkS3Reader(clients.s3), settings.golden);
    const golden = parseGoldenSet(Buffer.from(bytes).toString('utf8'), `s3://${bucket}/${key}`);
    const send = invokeFunctionVersion(clients.lambda, settings.targetFunction, deadline);
    const replay = await replayGoldenSet(golden, settings.target, send);
    return { status: replay.passed ? 'Succeeded' : 'Failed', message: replay.message } satisfies PreTrafficOutcome;
  } catch (error) {
    return { status: 'Failed', message: `${label}: ${(error as Error).message}` } satisfies PreTrafficOutcome;
  }
}

/** Lambda entry point: clients from the function's own role and region. */
export const handler = createPreTrafficHook({
  s3: new S3Client({}),
  lambda: new LambdaClient({}),
  codeDeploy: new CodeDeployClient({}),
});
