/** Raw HTTP framing for the local server: how a request is put on the wire, valid and broken. */
import fc from 'fast-check';

/** Ways to send a valid request that HTTP/1.1 allows and the server must answer the same. */
export interface Framing {
  /** Content-Length, or chunked transfer coding cut at these sizes. */
  readonly chunks?: readonly number[];
  /** Absolute-form request target (`POST http://127.0.0.1:<port>/v2/...`), which servers must accept. */
  readonly absolute: boolean;
  /** The client half-closes once the request is sent. */
  readonly halfClose: boolean;
}

export const framing: fc.Arbitrary<Framing> = fc.record(
  {
    chunks: fc.array(fc.integer({ min: 1, max: 64 }), { maxLength: 4 }),
    absolute: fc.boolean(),
    halfClose: fc.boolean(),
  },
  { requiredKeys: ['absolute', 'halfClose'] },
);

/** A request broken at the HTTP level, with what the server may do about it. */
export type BrokenFraming =
  | { readonly kind: 'target'; readonly target: string }
  | { readonly kind: 'method'; readonly method: string }
  | { readonly kind: 'content-length'; readonly value: string }
  | { readonly kind: 'short-body'; readonly missing: number }
  | { readonly kind: 'bad-chunk'; readonly chunk: string }
  | { readonly kind: 'declared-too-large'; readonly bytes: number }
  | { readonly kind: 'header'; readonly line: string }
  | { readonly kind: 'long-header'; readonly bytes: number }
  | { readonly kind: 'version'; readonly version: string };

/** Request targets no URL parser can read: each must get a 400 (or 404), as the issue says, not a 500. */
export const MALFORMED_TARGETS = [
  'http://[/v2/health/live',
  'http://%zz/v2/health/live',
  'http://',
  'https://[::1/v2',
  '*',
];

/** Targets that are odd but readable: any answer but a 5xx. */
const ODD_TARGETS = [
  'http:/v2/health/live',
  'v2/health/live',
  '//v2/health/live',
  '/v2/health/live#x',
  '/v2/health/%zz',
  '/v2/health/\u00e9',
];

export const brokenFraming: fc.Arbitrary<BrokenFraming> = fc.oneof(
  fc.record({ kind: fc.constant('target' as const), target: fc.constantFrom(...MALFORMED_TARGETS, ...ODD_TARGETS) }),
  fc.record({
    kind: fc.constant('method' as const),
    method: fc.constantFrom('get', 'FOO', 'G_T', 'CONNECT', 'TRACE', 'PRI'),
  }),
  fc.record({
    kind: fc.constant('content-length' as const),
    value: fc.constantFrom('abc', '-1', '1.5', '2, 3', ' ', '0x10', '99999999999999999999999', '+5'),
  }),
  fc.record({ kind: fc.constant('short-body' as const), missing: fc.integer({ min: 1, max: 1000 }) }),
  fc.record({
    kind: fc.constant('bad-chunk' as const),
    chunk: fc.constantFrom('zz\r\nab\r\n0\r\n\r\n', '5\r\nab\r\n0\r\n\r\n', '2\r\nab', '-1\r\n\r\n'),
  }),
  fc.record({
    kind: fc.constant('declared-too-large' as const),
    bytes: fc.constantFrom(7_000_000, 104_857_600, 2 ** 40),
  }),
  fc.record({
    kind: fc.constant('header' as const),
    line: fc.constantFrom(
      'Bad Header: x',
      ': empty-name',
      'Expect: something',
      'Transfer-Encoding: gzip',
      'Content-Length: 5\r\nContent-Length: 6',
      'Transfer-Encoding: chunked\r\nContent-Length: 3',
      'X-Folded: a\r\n b',
    ),
  }),
  fc.record({ kind: fc.constant('long-header' as const), bytes: fc.constantFrom(8_000, 17_000, 100_000) }),
  fc.record({
    kind: fc.constant('version' as const),
    version: fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/0.9', 'HTTP/1.1x', 'FOO/1.1'),
  }),
);
