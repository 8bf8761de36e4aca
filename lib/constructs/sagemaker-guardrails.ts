import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import type { Construct } from 'constructs';
import { describeRollout, type Rollout } from '../rollout-setting';
import { propError } from './prop-error';

/** SageMaker's bound of WaitIntervalInSeconds (the baking period of each traffic step). */
export const SAGEMAKER_MAX_WAIT_SECONDS = 3600;

/** SageMaker's bounds of MaximumExecutionTimeoutInSeconds of a blue/green update. */
export const SAGEMAKER_EXECUTION_TIMEOUT_SECONDS = { min: 600, max: 14_400 } as const;

/** SageMaker's bound of a canary: at most half of the new fleet's capacity. */
export const SAGEMAKER_MAX_CANARY_PERCENT = 50;

/** The time a blue/green update may spend provisioning the new fleet before the first traffic step. */
const PROVISIONING_SECONDS = 1800;

/** What an endpoint update does, and why, when it differs from the rollout setting. */
export interface EndpointGuardrails {
  readonly deploymentConfig: sagemaker.CfnEndpoint.DeploymentConfigProperty;
  /** Set when the endpoint cannot honour the setting as written: what it does instead and why. */
  readonly deviation?: string;
}

/**
 * The rollout setting as SageMaker deployment guardrails of an instance endpoint: a blue/green update whose traffic
 * moves in the setting's steps (capacity percent of the new fleet), each step baking for the setting's interval
 * while the alarms can roll the endpoint back to the old fleet. A one-instance fleet cannot hold a canary of less
 * than all of it: it shifts all at once and bakes for the interval instead.
 */
export function endpointGuardrails(
  scope: Construct,
  rollout: Rollout,
  initialInstanceCount: number,
  alarms: readonly cloudwatch.IAlarm[],
): EndpointGuardrails {
  const autoRollbackConfiguration = { alarms: alarms.map((alarm) => ({ alarmName: alarm.alarmName })) };
  if (rollout.type === 'all-at-once') {
    return {
      deploymentConfig: {
        blueGreenUpdatePolicy: {
          trafficRoutingConfiguration: { type: 'ALL_AT_ONCE', waitIntervalInSeconds: 0 },
          maximumExecutionTimeoutInSeconds: executionTimeout(0),
        },
        autoRollbackConfiguration,
      },
    };
  }
  const waitIntervalInSeconds = rollout.intervalMinutes * 60;
  if (waitIntervalInSeconds > SAGEMAKER_MAX_WAIT_SECONDS) {
    throw propError(
      scope,
      `rollout (${describeRollout(rollout)}) waits ${rollout.intervalMinutes} minutes between steps, but a SageMaker endpoint bakes each step for at most ${SAGEMAKER_MAX_WAIT_SECONDS / 60} minutes: use an intervalMinutes of 60 or less for this model`,
    );
  }
  if (rollout.type === 'canary' && rollout.percent > SAGEMAKER_MAX_CANARY_PERCENT) {
    throw propError(
      scope,
      `rollout (${describeRollout(rollout)}) sends ${rollout.percent} % first, but a SageMaker canary is at most ${SAGEMAKER_MAX_CANARY_PERCENT} % of the new fleet: lower percent to ${SAGEMAKER_MAX_CANARY_PERCENT} or less`,
    );
  }
  if (initialInstanceCount < 2) {
    return {
      deploymentConfig: {
        blueGreenUpdatePolicy: {
          trafficRoutingConfiguration: { type: 'ALL_AT_ONCE', waitIntervalInSeconds },
          maximumExecutionTimeoutInSeconds: executionTimeout(waitIntervalInSeconds),
        },
        autoRollbackConfiguration,
      },
      deviation:
        `rollout ${describeRollout(rollout)} needs a fleet of at least 2 instances (a step is a share of the new fleet's ` +
        `instances); with initialInstanceCount ${initialInstanceCount} the endpoint shifts all at once, then bakes ` +
        `${rollout.intervalMinutes} minutes with the alarms able to roll it back. Set initialInstanceCount to 2 or more for a canary`,
    };
  }
  const step = { type: 'CAPACITY_PERCENT', value: rollout.percent };
  const steps = rollout.type === 'canary' ? 2 : Math.ceil(100 / rollout.percent);
  return {
    deploymentConfig: {
      blueGreenUpdatePolicy: {
        trafficRoutingConfiguration:
          rollout.type === 'canary'
            ? { type: 'CANARY', canarySize: step, waitIntervalInSeconds }
            : { type: 'LINEAR', linearStepSize: step, waitIntervalInSeconds },
        maximumExecutionTimeoutInSeconds: executionTimeout(steps * waitIntervalInSeconds),
      },
      autoRollbackConfiguration,
    },
  };
}

/** Provisioning the new fleet plus every step's baking, within SageMaker's bounds. */
function executionTimeout(shiftingSeconds: number): number {
  const { min, max } = SAGEMAKER_EXECUTION_TIMEOUT_SECONDS;
  return Math.min(max, Math.max(min, PROVISIONING_SECONDS + shiftingSeconds));
}
