// Placeholder so that the infrastructure can bundle the pre-traffic hook; the real hook replaces this file.
export async function handler(_event: { DeploymentId: string; LifecycleEventHookExecutionId: string }): Promise<void> {
  throw new Error('pre-traffic hook not implemented yet');
}
