import fc from 'fast-check';
import { lambdaResponseBytes } from '../../lambda/response-size';

describe('lambdaResponseBytes', () => {
  it('counts exactly the bytes of the proxy result as JSON, for any body text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.json()), (body) => {
        const result = { statusCode: 200, headers: { 'content-type': 'application/json' }, body };
        expect(lambdaResponseBytes(result)).toBe(Buffer.byteLength(JSON.stringify(result)));
      }),
      { seed: 9, numRuns: 2000 },
    );
  });

  it.each(['"quoted" \\ back', '\u0000\u001f\b\t\n\f\r', 'é€😀', '\ud800 lone \udc00', '\udbff\udfff'])(
    'counts %j as JSON.stringify writes it',
    (body) => {
      const result = { statusCode: 400, body, isBase64Encoded: false };
      expect(lambdaResponseBytes(result)).toBe(Buffer.byteLength(JSON.stringify(result)));
    },
  );
});
