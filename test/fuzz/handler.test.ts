import fc from 'fast-check';
import { createApiGatewayHandler } from '../../lambda/api-gateway-handler';
import { ModelRegistry } from '../../lambda/model/model-registry';
import { modelSourcesFromFolder } from '../../lambda/model/model-source';
import { onnxBackends } from '../../lambda/model/onnx-backend';
import { loadOnnxModel } from '../../lambda/model/onnx-model';
import { type Answer, expectClientError, expectNoServerError, OracleFailure } from './support/answer';
import { corrupt, corruption, withFirstInputBinary } from './support/binary-corruptions';
import { writeFuzzRepository } from './support/fuzz-models';
import { FUZZ_SEED } from './support/fuzz-settings';
import { allowedStatuses, METHODS, neutralHeaders, queryParameters, routePath, unroutedPath } from './support/http-requests';
import { encodeInferCase, type InferCase, inferCase } from './support/infer-cases';
import { expectInferAnswer, Reference } from './support/infer-oracle';
import { applyMutation, mutation } from './support/invalid-cases';
import { largeAnswerCase } from './support/large-cases';
import { callHandler, type LambdaRequest } from './support/lambda-client';
import { runProperty } from './support/run-property';
import { reportCounts, StatusCounts } from './support/status-counts';
import { hostileString } from './support/tensor-values';

// The Lambda handler in-process, fed the events API Gateway would send for generated requests; valid requests must
// be answered as ONNX Runtime answers them run directly, everything else with a short 4xx naming the problem.

const { root, models } = writeFuzzRepository();
const servedModels = models.map((model) => model.name);
const fixedRank = models.filter((model) => model.inputs.every((input) => input.shape !== 'any'));
const anyRank = models.filter((model) => model.inputs.some((input) => input.shape === 'any'));
const withStrings = models.filter((model) => model.inputs.some((input) => input.datatype === 'BYTES'));
// On the calling thread, as in Lambda.
const registry = new ModelRegistry(onnxBackends(modelSourcesFromFolder(root), loadOnnxModel));
const handler = createApiGatewayHandler(registry);
const reference = new Reference();
const counted: StatusCounts[] = [];

function counter(property: string): StatusCounts {
  const counts = new StatusCounts(`handler: ${property}`);
  counted.push(counts);
  return counts;
}

async function call(counts: StatusCounts, request: LambdaRequest): Promise<Answer> {
  try {
    const answer = await callHandler(handler, request);
    counts.record(answer.status);
    return answer;
  } catch (error) {
    counts.record(error instanceof OracleFailure ? 'over the Lambda limit' : 'no answer');
    throw error;
  }
}

beforeAll(() => registry.loadAll());
afterAll(async () => {
  reportCounts('handler', counted, FUZZ_SEED);
  await Promise.all([registry.release(), reference.release()]);
});

function post(request: InferCase, headers: [string, string][] = [], query: [string, string][] = []): LambdaRequest {
  const encoded = encodeInferCase(request);
  return { method: 'POST', ...encoded, headers: [...headers, ...encoded.headers], query };
}

const small = { rows: 3 };

describe('fuzzing the Lambda handler', () => {
  it('answers valid JSON inference requests exactly as ONNX Runtime does', async () => {
    const counts = counter('valid JSON inference');
    await runProperty(
      fc.tuple(inferCase(fixedRank, small, false), neutralHeaders, queryParameters),
      async ([request, headers, query]) => {
        await expectInferAnswer(request, await call(counts, post(request, headers, query)), reference);
      },
      { ciRuns: 80 },
    );
  });

  it('answers valid binary tensor data requests exactly as ONNX Runtime does', async () => {
    const counts = counter('valid binary inference');
    await runProperty(
      inferCase(fixedRank, small, true),
      async (request) => {
        await expectInferAnswer(request, await call(counts, post(request)), reference);
      },
      { ciRuns: 80 },
    );
  });

  it('serves an input of unknown rank at any rank', async () => {
    const counts = counter('unknown rank');
    await runProperty(
      inferCase(anyRank, small, true),
      async (request) => {
        await expectInferAnswer(request, await call(counts, post(request)), reference);
      },
      { ciRuns: 30 },
    );
  });

  it('never answers a string other than the one sent: refuses NUL, and a lone surrogate unless it comes back intact', async () => {
    const counts = counter('hostile strings');
    await runProperty(
      inferCase(withStrings, { rows: 2, strings: hostileString }, true),
      async (request) => {
        await expectInferAnswer(request, await call(counts, post(request)), reference);
      },
      { ciRuns: 40 },
    );
  });

  it('returns 4xx naming the problem for a JSON request with one thing wrong', async () => {
    const counts = counter('invalid JSON requests');
    const broken = inferCase(fixedRank, small, false).chain((request) =>
      fc.tuple(fc.constant(request), mutation(request.inputs[0]?.spec.datatype ?? 'FP32')),
    );
    await runProperty(
      broken,
      async ([request, change]) => {
        const invalid = applyMutation(request, change);
        const encoded = encodeInferCase(request);
        const answer = await call(counts, { method: 'POST', ...encoded, body: Buffer.from(invalid.body, 'utf8') });
        expectClientError(answer, invalid.statuses, invalid.mentions);
      },
      { ciRuns: 250 },
    );
  });

  it('returns 4xx naming the problem for a corrupted binary tensor data request', async () => {
    const counts = counter('corrupted binary requests');
    const broken = fc.tuple(inferCase(fixedRank, small, true).map(withFirstInputBinary), corruption);
    await runProperty(
      broken,
      async ([request, change]) => {
        const corrupted = corrupt(request, change);
        fc.pre(corrupted !== undefined);
        if (corrupted === undefined) return;
        const answer = await call(counts, { method: 'POST', ...corrupted });
        expectClientError(answer, [400], corrupted.mentions);
      },
      { ciRuns: 100 },
    );
  });

  it('answers any method, path, header and query as the route table says, never with a 5xx', async () => {
    const counts = counter('routing');
    const target = fc.oneof({ weight: 3, arbitrary: routePath(servedModels) }, { weight: 1, arbitrary: unroutedPath });
    await runProperty(
      fc.tuple(fc.constantFrom(...METHODS), target, neutralHeaders, queryParameters),
      async ([method, path, headers, query]) => {
        const answer = await call(counts, { method, path: path.path, headers, query });
        expectNoServerError(answer, method);
        const allowed = allowedStatuses(method, path, servedModels);
        // HEAD is GET without the body (RFC 9110); the function may also refuse it, as API Gateway passes it on.
        const statuses = method === 'HEAD' && allowed.includes(200) ? [...allowed, 405] : allowed;
        if (!statuses.includes(answer.status)) {
          throw new OracleFailure(`${method} ${path.path.slice(0, 120)} must be answered ${statuses.join(' or ')}`, answer);
        }
      },
      { ciRuns: 250 },
    );
  });

  it('answers a request whose answer would not fit in a Lambda response with a 4xx that says what to do', async () => {
    const counts = counter('large answers');
    await runProperty(
      largeAnswerCase(models),
      async (request) => {
        const answer = await call(counts, post(request));
        if (answer.status === 200) return expectInferAnswer(request, answer, reference);
        expectClientError(answer, [400, 413], [/binary|smaller|fewer|rows|batch/i]);
      },
      { ciRuns: 2, weight: 0.02 },
    );
  });
});
