import { Errors } from 'aws-cdk-lib';
import { ConfigurationError } from './config';

/**
 * The message to show for an error that stopped the synth, or undefined when its stack trace is what helps:
 * a bug (TypeError and the like) or a run with `cdk --debug` (CDK_DEBUG). The app's own checks (configuration,
 * models, construct props) already say what was wrong and what to do; a trace into lib/ would only bury that.
 */
export function synthErrorMessage(error: unknown, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (!(error instanceof Error) || isProgrammingError(error) || isDebug(env)) return undefined;
  if (error instanceof ConfigurationError) return `model-endpoint configuration: ${error.message}`;
  // aws-cdk-lib's own errors were not written for this app's users: say where they came from and how to see more.
  if (Errors.isConstructError(error)) {
    const where = error.constructPath === undefined ? '' : ` (at ${error.constructPath})`;
    return `model-endpoint: ${error.message}${where}\nRun \`npx cdk synth --debug\` for the stack trace.`;
  }
  return `model-endpoint: ${error.message}`;
}

function isProgrammingError(error: Error): boolean {
  return error instanceof TypeError || error instanceof ReferenceError || error instanceof SyntaxError;
}

function isDebug(env: NodeJS.ProcessEnv): boolean {
  return ['1', 'on', 'true'].includes((env.CDK_DEBUG ?? '').toLowerCase());
}
