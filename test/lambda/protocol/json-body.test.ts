import { BadRequestError } from '../../../lambda/protocol/errors';
import { parseJsonBody } from '../../../lambda/protocol/json-body';
import { thrownBy } from './models';

const EXPECTED = 'a JSON object with an "inputs" array';

describe('parseJsonBody', () => {
  it.each<[string, string | Uint8Array, unknown]>([
    ['text', '{"inputs": []}', { inputs: [] }],
    ['bytes', new TextEncoder().encode('[1, "é"]'), [1, 'é']],
    [
      'any nesting depth (decoders bound it afterwards)',
      `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
      expect.any(Array),
    ],
  ])('parses %s', (_, body, expected) => {
    expect(parseJsonBody(body, EXPECTED)).toEqual(expected);
  });

  it.each<[string, string | undefined, string]>([
    ['no body', undefined, `the request has no body; the body must be ${EXPECTED}`],
    ['an empty body', '', `the request has no body; the body must be ${EXPECTED}`],
    ['NaN', 'NaN', `the request body is not valid JSON ("NaN" is not valid JSON); the body must be ${EXPECTED}`],
    ['a truncated object', '{"inputs": [', `; the body must be ${EXPECTED}`],
  ])('rejects %s, saying what the body must be', (_, body, message) => {
    const error = thrownBy(() => parseJsonBody(body, EXPECTED));
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as Error).message).toContain(message);
  });

  it('keeps the message short for 5 MB of invalid JSON', () => {
    const error = thrownBy(() => parseJsonBody('x'.repeat(5 * 1024 * 1024), EXPECTED));
    expect((error as Error).message.length).toBeLessThan(200);
  });

  it('names the part of the body that must be JSON', () => {
    expect((thrownBy(() => parseJsonBody('[', EXPECTED, 'the JSON header')) as Error).message).toMatch(
      /^the JSON header is not valid JSON/,
    );
  });
});
