import {
  type CodeDeployClient,
  type LifecycleEventStatus,
  PutLifecycleEventHookExecutionStatusCommand,
} from '@aws-sdk/client-codedeploy';

/** What CodeDeploy passes a lifecycle hook: the deployment and this hook execution, to report back on. */
export interface LifecycleHookEvent {
  readonly DeploymentId: string;
  readonly LifecycleEventHookExecutionId: string;
}

export type HookStatus = Extract<LifecycleEventStatus, 'Succeeded' | 'Failed'>;

/** Tells CodeDeploy whether traffic may shift; until it hears, the deployment waits for the hook's timeout. */
export async function reportHookStatus(
  codeDeploy: CodeDeployClient,
  event: LifecycleHookEvent,
  status: HookStatus,
): Promise<void> {
  await codeDeploy.send(
    new PutLifecycleEventHookExecutionStatusCommand({
      deploymentId: event.DeploymentId,
      lifecycleEventHookExecutionId: event.LifecycleEventHookExecutionId,
      status,
    }),
  );
}
