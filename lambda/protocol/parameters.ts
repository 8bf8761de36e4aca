/**
 * The protocol's `$parameters`: an object whose values are each a string, a number or a boolean, on the request, on
 * each input and on each requested output. Anything else is refused rather than ignored, so that a client that sends
 * a parameter in a shape this server cannot read learns it at once instead of getting an answer that ignored it.
 */
import { BadRequestError } from './errors';
import { describe, isJsonObject, quote } from './json';

export type ParameterValue = string | number | boolean;
export type Parameters = Readonly<Record<string, ParameterValue>>;

/** `where` names the owner in messages: `the request`, `input "x"`, `output "y"`. */
export function decodeParameters(value: unknown, where: string): Parameters | undefined {
  if (value === undefined) return undefined;
  if (!isJsonObject(value)) {
    throw new BadRequestError(
      `${where}: "parameters" must be an object of name/value pairs when present, got ${describe(value)}`,
    );
  }
  for (const [name, parameter] of Object.entries(value)) {
    if (typeof parameter !== 'string' && typeof parameter !== 'number' && typeof parameter !== 'boolean') {
      throw new BadRequestError(
        `${where}: parameter ${quote(name)} must be a string, a number or a boolean, got ${describe(parameter)}`,
      );
    }
  }
  return value as Parameters;
}
