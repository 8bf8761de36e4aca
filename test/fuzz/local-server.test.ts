import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { serveModels } from '../../lambda/local-server';
import type { ModelRegistry } from '../../lambda/model/model-registry';
import { modelSourcesFromFolder } from '../../lambda/model/model-source';
import { type Answer, expectClientError, expectErrorBody, expectNoServerError, OracleFailure } from './support/answer';
import { exampleCase, modelNamed } from './support/examples';
import { type BrokenFraming, brokenFraming, type Framing, framing, MALFORMED_TARGETS } from './support/framing-cases';
import { writeFuzzRepository } from './support/fuzz-models';
import { FUZZ_SEED, PROPERTY_TIMEOUT_MS } from './support/fuzz-settings';
import {
  allowedStatuses,
  doubleSlashPath,
  METHODS,
  neutralHeaders,
  queryParameters,
  queryString,
  routePath,
  routeTarget,
  unroutedPath,
} from './support/http-requests';
import { encodeInferCase, type InferCase, inferCase } from './support/infer-cases';
import { expectInferAnswer, Reference } from './support/infer-oracle';
import { applyMutation, mutation } from './support/invalid-cases';
import { largeAnswerCase, largeRequest } from './support/large-cases';
import { chunked, type RawResult, rawRequest, requestBytes } from './support/raw-http';
import { runProperty } from './support/run-property';
import { reportCounts, StatusCounts } from './support/status-counts';

// The local server started in-process on a loopback port, spoken to byte for byte over raw sockets: valid requests
// in every framing HTTP allows must be answered as ONNX Runtime answers; anything else with a short JSON 4xx, or a
// closed connection where HTTP leaves nothing to answer; never a 5xx, a hang, or a logged failure.

const { root, models } = writeFuzzRepository();
const servedModels = models.map((model) => model.name);
const fixedRank = models.filter((model) => model.inputs.every((input) => input.shape !== 'any'));
const reference = new Reference();
const counted: StatusCounts[] = [];
const loggedErrors: string[] = [];
let server: Server;
let registry: ModelRegistry;
let port: number;

beforeAll(async () => {
  // The server reports a failed request on stderr; a client's mistake or departure must never be one.
  jest.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => {
    loggedErrors.push(parts.map(String).join(' '));
  });
  ({ server, registry } = await serveModels(
    modelSourcesFromFolder(root),
    { port: 0, host: '127.0.0.1', logRequests: false },
    () => undefined,
  ));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  reportCounts('local-server', counted, FUZZ_SEED);
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await Promise.all([registry.release(), reference.release()]);
});

function counter(property: string): StatusCounts {
  const counts = new StatusCounts(`local server: ${property}`);
  counted.push(counts);
  return counts;
}

/** One exchange, counted; fails on a hang and on a failure the server logged while answering it. */
async function exchange(
  counts: StatusCounts,
  request: Buffer,
  options: { halfClose?: boolean; head?: boolean } = {},
): Promise<RawResult> {
  const before = loggedErrors.length;
  let result: RawResult;
  try {
    result = await rawRequest(port, request, options);
  } catch (error) {
    counts.record('no answer (hang)');
    throw error;
  }
  counts.record(result.answer?.status ?? 'closed without answer');
  // Give a failure the server logs after answering the moment it needs to reach the log.
  await new Promise((resolve) => setTimeout(resolve, 10));
  if (loggedErrors.length > before) {
    throw new OracleFailure(
      `the server logged a failure for this request: ${loggedErrors[before]?.slice(0, 300)}`,
      result.answer,
    );
  }
  return result;
}

function answered(result: RawResult): Answer {
  if (result.answer === undefined) {
    throw new OracleFailure(
      `the connection closed without an answer (received ${JSON.stringify(result.raw.toString('latin1').slice(0, 200))})`,
    );
  }
  return result.answer;
}

const host: [string, string] = ['Host', '127.0.0.1'];
const close: [string, string] = ['Connection', 'close'];

/** The bytes of an inference request in the given framing. */
function inferBytes(request: InferCase, how: Framing, extraHeaders: readonly [string, string][] = []): Buffer {
  const encoded = encodeInferCase(request);
  const target = how.absolute ? `http://127.0.0.1:${port}${encoded.path}` : encoded.path;
  const framed =
    how.chunks === undefined
      ? { header: ['Content-Length', String(encoded.body.byteLength)] as [string, string], body: encoded.body }
      : { header: ['Transfer-Encoding', 'chunked'] as [string, string], body: chunked(encoded.body, how.chunks) };
  return requestBytes(
    `POST ${target} HTTP/1.1`,
    [host, ...extraHeaders, ...encoded.headers, framed.header, close],
    framed.body,
  );
}

const small = { rows: 3 };
const plainFraming: Framing = { absolute: false, halfClose: false };
const penguinsRequest = () => exampleCase(modelNamed(models, 'penguins'), [1, 4], [39.1, 18.7, 181, 3750]);
const fp32Request = () => exampleCase(modelNamed(models, 'id_fp32'), [1, 3], [1, 2, 3]);

// A fixed request answered after every property: hostile traffic must never change a later answer.
afterEach(async () => {
  const sentinel = fc.sample(
    inferCase(
      models.filter((model) => model.name === 'penguins'),
      { rows: 2 },
      false,
    ),
    { seed: 1, numRuns: 1 },
  )[0];
  if (sentinel === undefined) throw new Error('no sentinel request');
  const result = await rawRequest(port, inferBytes(sentinel, plainFraming));
  await expectInferAnswer(sentinel, answered(result), reference);
});

describe('fuzzing the local server over raw HTTP', () => {
  it(
    'answers valid inference requests, JSON and binary, in every framing HTTP allows, exactly as ONNX Runtime does',
    async () => {
      const counts = counter('valid inference, any framing');
      await runProperty(
        fc.tuple(inferCase(fixedRank, small, true), framing),
        async ([request, how]) => {
          const result = await exchange(counts, inferBytes(request, how), { halfClose: how.halfClose });
          await expectInferAnswer(request, answered(result), reference);
        },
        // Issue 9, defect 14: a client that half-closed after sending its request got no answer.
        { ciRuns: 40, examples: [[penguinsRequest(), { absolute: false, halfClose: true }]] },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'answers any method and path as the route table says, never with a 5xx',
    async () => {
      const counts = counter('routing');
      const target = fc.oneof(
        { weight: 6, arbitrary: routePath(servedModels) },
        { weight: 2, arbitrary: unroutedPath },
        { weight: 1, arbitrary: doubleSlashPath },
      );
      await runProperty(
        fc.tuple(fc.constantFrom(...METHODS), target, neutralHeaders(false), queryParameters(false)),
        async ([method, path, headers, query]) => {
          // A request line holds no spaces or other bytes outside visible ASCII: a client percent-encodes them.
          const wire = { ...path, path: path.path.replace(/[^!-~]/gu, (char) => encodeURIComponent(char)) };
          const bytes = requestBytes(`${method} ${wire.path}${queryString(query)} HTTP/1.1`, [host, ...headers, close]);
          const answer = answered(await exchange(counts, bytes, { head: method === 'HEAD' }));
          expectNoServerError(answer, method);
          // Past Node's 16 KiB header limit a request is refused before it is routed (414 or 431, as a JSON error).
          const tooLong = bytes.byteLength > 16 * 1024 ? [414, 431] : [];
          const allowed = [...allowedStatuses(method, wire, servedModels), ...tooLong];
          if (!allowed.includes(answer.status)) {
            throw new OracleFailure(
              `${method} ${path.path.slice(0, 120)} must be answered ${allowed.join(' or ')}`,
              answer,
            );
          }
        },
        {
          ciRuns: 100,
          examples: [
            // Issue 9, defect 14: HEAD on a GET route was a 405.
            ['HEAD', routeTarget('/v2/health/live', ['GET']), [], []],
            // Defect 5: /v2/models/.. was answered as /v2 (the URL parser resolved the dot segment).
            ['GET', routeTarget('/v2/models/..', ['GET']), [], []],
            // Defect 2: a target the URL parser refuses ("//" with a query) was a 500.
            ['OPTIONS', { path: '//', routeMethods: [] }, [], [['a', '1']]],
            // Defect 8: Node's own parser errors (here 431 for a 20 kB path) had no JSON body.
            ['GET', routeTarget(`/v2/models/${'a'.repeat(20_000)}`, ['GET']), [], []],
            // Not in issue 9: "//x/v2/health/live" was read as host x and path /v2/health/live and answered 200,
            // where API Gateway and the Lambda handler answer 404.
            ['GET', { path: '//x/v2/health/live', routeMethods: [], mustBe404: true }, [], []],
          ],
        },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'answers the same whatever headers and query parameters named like Object prototype keys come with a request',
    async () => {
      const counts = counter('prototype-key headers and queries');
      const request = fc.oneof(
        fc.constant(undefined),
        inferCase(
          fixedRank.filter((model) => model.name.startsWith('id_')),
          { rows: 2 },
          false,
        ),
      );
      await runProperty(
        fc.tuple(request, neutralHeaders(true), queryParameters(true)),
        async ([infer, headers, query]) => {
          if (infer === undefined) {
            const bytes = requestBytes(`GET /v2/health/live${queryString(query)} HTTP/1.1`, [host, ...headers, close]);
            const answer = answered(await exchange(counts, bytes));
            if (answer.status !== 200) throw new OracleFailure('GET /v2/health/live must be answered 200', answer);
            return;
          }
          const encoded = encodeInferCase(infer);
          const bytes = requestBytes(
            `POST ${encoded.path}${queryString(query)} HTTP/1.1`,
            [host, ...headers, ...encoded.headers, ['Content-Length', String(encoded.body.byteLength)], close],
            encoded.body,
          );
          await expectInferAnswer(infer, answered(await exchange(counts, bytes)), reference);
        },
        {
          ciRuns: 60,
          // Issue 9, defect 1: a query parameter or header named like a prototype key made a 500.
          examples: [
            [undefined, [], [['toString', '1']]],
            [undefined, [['__proto__', 'x']], []],
          ],
        },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'returns 4xx naming the problem for an inference request with one thing wrong',
    async () => {
      const counts = counter('invalid JSON requests');
      const broken = inferCase(fixedRank, small, false).chain((request) =>
        fc.tuple(fc.constant(request), mutation(request.inputs[0]?.spec.datatype ?? 'FP32')),
      );
      await runProperty(
        broken,
        async ([request, change]) => {
          const invalid = applyMutation(request, change);
          const encoded = encodeInferCase(request);
          const body = Buffer.from(invalid.body, 'utf8');
          const bytes = requestBytes(
            `POST ${encoded.path} HTTP/1.1`,
            [host, ...encoded.headers, ['Content-Length', String(body.byteLength)], close],
            body,
          );
          expectClientError(answered(await exchange(counts, bytes)), invalid.statuses, invalid.mentions);
        },
        {
          ciRuns: 60,
          examples: [
            // Issue 9, defects 3 and 6, as for the Lambda handler.
            [fp32Request(), { kind: 'shape-nested', depth: 5_000 }],
            [fp32Request(), { kind: 'body', text: 'NaN' }],
          ],
        },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'answers broken HTTP framing with a JSON 4xx or a closed connection, never a 5xx, a bare error or a hang',
    async () => {
      const counts = counter('broken framing');
      const penguins = fixedRank.filter((model) => model.name === 'penguins');
      await runProperty(
        fc.tuple(brokenFraming, inferCase(penguins, { rows: 2 }, false)),
        async ([broken, request]) => {
          const { bytes, halfClose } = brokenRequest(broken, request);
          const result = await exchange(counts, bytes, { halfClose });
          if (broken.kind === 'declared-too-large') {
            // Refused as soon as the declared length is known, not after reading (or waiting for) the whole body.
            const answer = answered(result);
            expectClientError(answer, [413], [/body|bytes|large|limit/i]);
            if (!/close/i.test(answer.headers.connection ?? ''))
              throw new OracleFailure('a 413 must close the connection (Connection: close)', answer);
            return;
          }
          if (broken.kind === 'target' && MALFORMED_TARGETS.includes(broken.target)) {
            return expectClientError(answered(result), [400, 404], []);
          }
          if (result.answer === undefined) return;
          expectNoServerError(result.answer);
          if (result.answer.status >= 400) expectErrorBody(result.answer);
        },
        {
          ciRuns: 40,
          // Fewer in a long run: a request the server waits on (a declared body that never comes) costs a timeout.
          weight: 0.3,
          examples: [
            // Issue 9, defect 2: a malformed absolute-form target was a 500.
            [{ kind: 'target', target: 'http://[/v2/health/live' }, penguinsRequest()],
            // Defects 8 and 14: a body cut short was a bare 400, and the server logged the departed client as a failure.
            [{ kind: 'short-body', missing: 10 }, penguinsRequest()],
            // Defect 9: a declared 100 MiB body was waited for instead of refused at once.
            [{ kind: 'declared-too-large', bytes: 104_857_600 }, penguinsRequest()],
            // Defect 8: Node's own parser errors (431, 417) had no JSON body.
            [{ kind: 'long-header', bytes: 17_000 }, penguinsRequest()],
            [{ kind: 'header', line: 'Expect: something' }, penguinsRequest()],
          ],
        },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'answers a request whose answer would not fit in a Lambda response with a 4xx that says what to do',
    async () => {
      const counts = counter('large answers');
      await runProperty(
        largeAnswerCase(models),
        async (request) => {
          const answer = answered(await exchange(counts, inferBytes(request, plainFraming)));
          if (answer.status === 200) return expectInferAnswer(request, answer, reference);
          expectClientError(answer, [400, 413], [/binary|smaller|fewer|rows|batch/i]);
        },
        // Issue 9, defect 10: the twin answered 502 for an answer over Lambda's 6 MB.
        { ciRuns: 1, weight: 0.01, examples: [largeRequest(models, 120_000)] },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});

/** The bytes of a broken request, built around a valid penguins inference or a health check. */
function brokenRequest(broken: BrokenFraming, request: InferCase): { bytes: Buffer; halfClose: boolean } {
  const encoded = encodeInferCase(request);
  const length = (value: number | string): [string, string] => ['Content-Length', String(value)];
  const post = (headers: [string, string][], body: Buffer) =>
    requestBytes(`POST ${encoded.path} HTTP/1.1`, [host, ...encoded.headers, ...headers, close], body);
  switch (broken.kind) {
    case 'target':
      return { bytes: requestBytes(`GET ${broken.target} HTTP/1.1`, [host, close]), halfClose: false };
    case 'method':
      return { bytes: requestBytes(`${broken.method} /v2/health/live HTTP/1.1`, [host, close]), halfClose: false };
    case 'content-length':
      return { bytes: post([length(broken.value)], encoded.body), halfClose: true };
    case 'short-body':
      // The client sends less than it declared and then says it is done: the body can never be complete.
      return { bytes: post([length(encoded.body.byteLength + broken.missing)], encoded.body), halfClose: true };
    case 'bad-chunk':
      return { bytes: post([['Transfer-Encoding', 'chunked']], Buffer.from(broken.chunk, 'latin1')), halfClose: true };
    case 'declared-too-large':
      // Only the start of the body is sent, and the connection stays open: the server must not wait for the rest.
      return { bytes: post([length(broken.bytes)], encoded.body.subarray(0, 10)), halfClose: false };
    case 'header':
      return {
        bytes: Buffer.from(
          `GET /v2/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n${broken.line}\r\nConnection: close\r\n\r\n`,
          'latin1',
        ),
        halfClose: false,
      };
    case 'long-header':
      return {
        bytes: requestBytes('GET /v2/health/live HTTP/1.1', [host, ['X-Long', 'x'.repeat(broken.bytes)], close]),
        halfClose: false,
      };
    case 'version':
      return { bytes: requestBytes(`GET /v2/health/live ${broken.version}`, [host, close]), halfClose: false };
  }
}
