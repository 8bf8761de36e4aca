import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';

/**
 * What a served model's backend gives the rest of the stack, whichever backend it is: the function API Gateway
 * invokes for the model's routes, the alarms that need a human, and the model's dashboard row. The API and the
 * monitoring compose a list of these and never look at how a backend is built.
 */
export interface ModelTarget {
  readonly modelName: string;
  readonly modelVersion: string;
  /** What API Gateway invokes for this model's routes: the `live` alias of the model's function. */
  readonly handler: lambda.IFunction;
  /** Alarms on what needs a human; the monitoring notifies its topic from them. */
  readonly alarms: readonly cloudwatch.IAlarm[];
  /** The model's row on the dashboard, left to right. */
  readonly dashboardWidgets: readonly cloudwatch.IWidget[];
}
