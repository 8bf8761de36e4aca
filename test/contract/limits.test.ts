import {
  EVENT_ENVELOPE_BYTES,
  eventBodyBytes,
  LAMBDA_SYNC_PAYLOAD_BYTES,
  MAX_BINARY_BODY_BYTES,
  MAX_EVENT_BODY_BYTES,
} from '../../contract/limits';
import { apiGatewayEvent } from '../support/api-gateway-events';

describe('request size limits', () => {
  it('leaves 4,712,448 bytes for a binary body once base64 and the event envelope are counted', () => {
    expect(MAX_EVENT_BODY_BYTES).toBe(6_291_456 - 8_192);
    expect(MAX_BINARY_BODY_BYTES).toBe(4_712_448);
    expect(eventBodyBytes(new Uint8Array(MAX_BINARY_BODY_BYTES), true)).toBeLessThanOrEqual(MAX_EVENT_BODY_BYTES);
    expect(eventBodyBytes(new Uint8Array(MAX_BINARY_BODY_BYTES + 1), true)).toBeGreaterThan(MAX_EVENT_BODY_BYTES);
  });

  it('keeps room for a whole API Gateway event around the body', () => {
    const event = apiGatewayEvent({ method: 'POST', path: '/v2/models/penguins/infer' });
    // Headers appear twice in a real event (headers and multiValueHeaders); count them twice over to be safe.
    const envelope = Buffer.byteLength(JSON.stringify(event)) + 2 * Buffer.byteLength(JSON.stringify(event.headers));
    expect(envelope).toBeLessThan(EVENT_ENVELOPE_BYTES);
    expect(MAX_EVENT_BODY_BYTES + EVENT_ENVELOPE_BYTES).toBe(LAMBDA_SYNC_PAYLOAD_BYTES);
  });

  it.each([0, 1, 2, 3, 4, 1000])('counts a %d-byte binary body as its base64 length', (size) => {
    const body = new Uint8Array(size).fill(0xff);
    expect(eventBodyBytes(body, true)).toBe(Buffer.from(body).toString('base64').length);
  });

  it.each([
    '{"inputs": [{"name": "x", "data": ["a", "b"]}]}',
    'plain',
    'back\\slash, tab\t, newline\n, return\r, form\f, backspace\b',
    'control \u0001\u001f characters',
    'non-ASCII é 日本 stays UTF-8',
  ])('counts a text body %p as JSON.stringify escapes it inside the event', (text) => {
    const body = Buffer.from(text);
    expect(eventBodyBytes(body, false)).toBe(Buffer.byteLength(JSON.stringify(text)) - 2);
  });
});
