import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { type GoldenSet, parseGoldenSet } from '../../../contract/golden-set';
import { createApiGatewayHandler } from '../../../lambda/api-gateway-handler';
import { ModelRegistry } from '../../../lambda/model/model-registry';
import { goldenRequestEvent } from '../../../lambda/rollout/golden-request';
import { type GoldenAnswer, replayGoldenSet, type SendGoldenRequest } from '../../../lambda/rollout/replay-golden-set';
import { lambdaContext } from '../../support/api-gateway-events';
import { DEMO_MODELS } from '../../support/demo-models';
import { onnxBackendsOf } from '../../support/model-backends';

const penguinsGolden = parseGoldenSet(
  readFileSync(path.join(DEMO_MODELS, 'penguins', '1', 'golden.json'), 'utf8'),
  'penguins golden.json',
);
const target = { model: 'penguins', version: '1' };

/** The model function's handler over the demo models, called in-process with the event the hook would send. */
const handler = createApiGatewayHandler(new ModelRegistry(onnxBackendsOf(DEMO_MODELS)));
const sent: string[] = [];
const sendToHandler: SendGoldenRequest = async (route, body) => {
  sent.push(route);
  const result = await handler(goldenRequestEvent(route, body), lambdaContext);
  return { status: result.statusCode, body: result.body };
};

/** The golden set with one expected value changed in case `index`. */
function withExpectedLabel(golden: GoldenSet, index: number, label: string): GoldenSet {
  return {
    ...golden,
    cases: golden.cases.map((c, i) =>
      i === index ? { ...c, expected: c.expected.map((o) => (o.name === 'label' ? { ...o, data: [label] } : o)) } : c,
    ),
  };
}

describe('replayGoldenSet', () => {
  it("passes every case of a demo model's golden set against the model handler, on that version's route", async () => {
    sent.length = 0;
    const outcome = await replayGoldenSet(penguinsGolden, target, sendToHandler);
    expect(outcome).toMatchObject({
      passed: true,
      cases: 9,
      message: 'golden set of penguins version 1: 9 cases passed',
    });
    expect(new Set(sent)).toEqual(new Set(['/v2/models/penguins/versions/1/infer']));
  });

  it('stops at the first case that differs and names it', async () => {
    sent.length = 0;
    const outcome = await replayGoldenSet(withExpectedLabel(penguinsGolden, 2, 'Gentoo'), target, sendToHandler);
    expect(outcome).toMatchObject({
      passed: false,
      casesPassed: 2,
      message:
        'golden set of penguins version 1: case "held-out row 21": output "label" element 0 is "Adelie", expected "Gentoo"',
    });
    expect(sent).toHaveLength(3);
  });

  it.each<[string, GoldenAnswer | Error, string]>([
    [
      'an answer that is not JSON',
      { status: 502, body: '<html>Bad Gateway</html>' },
      'the answer (status 502) is not JSON: <html>Bad Gateway</html>',
    ],
    [
      'an error status',
      { status: 503, body: '{"error": "model penguins version 1 cannot be loaded right now"}' },
      'the answer is status 503, expected 200 (model penguins version 1 cannot be loaded right now)',
    ],
    [
      'a 200 without outputs',
      { status: 200, body: '{"model_name": "penguins"}' },
      'the answer has no "outputs" array (got undefined)',
    ],
    [
      'a request that cannot be sent',
      new Error('connect ECONNREFUSED 127.0.0.1:9'),
      'the request failed: connect ECONNREFUSED 127.0.0.1:9',
    ],
  ])('fails on %s with the reason', async (_case, answer, reason) => {
    const send: SendGoldenRequest = async () => {
      if (answer instanceof Error) throw answer;
      return answer;
    };
    const outcome = await replayGoldenSet(penguinsGolden, target, send);
    expect(outcome).toMatchObject({
      passed: false,
      casesPassed: 0,
      message: `golden set of penguins version 1: case "held-out row 0": ${reason}`,
    });
  });
});
