import { ConfigurationError, type RawConfig, resolveDeploymentConfig } from '../../lib/config';
import { describeRollout, parseRollout } from '../../lib/rollout-setting';
import { FIXTURE_REPOSITORY } from './synth';

function resolve(raw: RawConfig) {
  return resolveDeploymentConfig({ modelsDir: FIXTURE_REPOSITORY, ...raw }, process.cwd());
}

describe('parseRollout', () => {
  it.each([
    ['Canary10Percent5Minutes', { type: 'canary', percent: 10, intervalMinutes: 5 }],
    ['CodeDeployDefault.LambdaLinear10PercentEvery3Minutes', { type: 'linear', percent: 10, intervalMinutes: 3 }],
    ['AllAtOnce', { type: 'all-at-once' }],
    [
      { type: 'canary', percent: 25, intervalMinutes: 30 },
      { type: 'canary', percent: 25, intervalMinutes: 30 },
    ],
    [
      { type: 'linear', percent: '20', intervalMinutes: '2' },
      { type: 'linear', percent: 20, intervalMinutes: 2 },
    ],
  ])('reads %j', (value, expected) => {
    expect(parseRollout(value, 'rollout')).toMatchObject(expected);
  });

  it.each([
    [
      'Canary50Percent1Minute',
      'rollout ("Canary50Percent1Minute") is not a CodeDeploy Lambda deployment config: use one of AllAtOnce, Canary10Percent5Minutes',
    ],
    [
      { type: 'blue-green', percent: 10, intervalMinutes: 5 },
      'rollout.type ("blue-green") must be "canary" or "linear" (for all at once write "AllAtOnce")',
    ],
    [{ type: 'canary', percent: 0, intervalMinutes: 5 }, 'rollout.percent (0) must be a whole number from 1 to 99'],
    [
      { type: 'canary', percent: 10.5, intervalMinutes: 5 },
      'rollout.percent (10.5) must be a whole number from 1 to 99',
    ],
    [
      { type: 'linear', percent: 10, intervalMinutes: 3000 },
      'rollout.intervalMinutes (3000) must be a whole number from 1 to 2880',
    ],
    [{ type: 'linear', percent: 10 }, 'rollout.intervalMinutes (undefined) must be a whole number'],
    [{ type: 'canary', percent: 10, intervalMinutes: 5, minutes: 5 }, 'rollout.minutes is not a rollout setting'],
    [42, 'rollout (42) is not a rollout: use a predefined config such as "Canary10Percent5Minutes"'],
  ])('rejects %j, saying what to write', (value, message) => {
    expect(() => parseRollout(value, 'rollout')).toThrow(message);
  });

  it.each([
    ['Canary10Percent5Minutes', 'Canary10Percent5Minutes'],
    [{ type: 'canary', percent: 20, intervalMinutes: 15 }, 'canary 20 % for 15 minutes'],
    [{ type: 'linear', percent: 20, intervalMinutes: 15 }, 'linear 20 % every 15 minutes'],
  ])('describes %j as %s', (value, description) => {
    expect(describeRollout(parseRollout(value, 'rollout'))).toBe(description);
  });
});

describe('the rollout setting', () => {
  it('defaults every model to Canary10Percent5Minutes', () => {
    const config = resolve({});
    expect(config.rollout).toEqual({
      type: 'canary',
      percent: 10,
      intervalMinutes: 5,
      predefined: 'Canary10Percent5Minutes',
    });
    for (const model of config.models) expect(model.rollout).toEqual(config.rollout);
  });

  it("applies the top-level rollout to every model without its own, and a model's own over it", () => {
    const config = resolve({
      rollout: 'AllAtOnce',
      models: { alpha: { rollout: { type: 'linear', percent: 20, intervalMinutes: 2 } }, beta: {} },
    });
    expect(config.models.find((model) => model.name === 'alpha')?.rollout).toEqual({
      type: 'linear',
      percent: 20,
      intervalMinutes: 2,
    });
    expect(config.models.find((model) => model.name === 'beta')?.rollout).toEqual({
      type: 'all-at-once',
      predefined: 'AllAtOnce',
    });
  });

  it('reads a custom rollout given as JSON on the command line (-c rollout=...)', () => {
    expect(resolve({ rollout: '{"type": "canary", "percent": 5, "intervalMinutes": 10}' }).rollout).toEqual({
      type: 'canary',
      percent: 5,
      intervalMinutes: 10,
    });
  });

  it.each([
    [{ rollout: 'Canary10Percent' }, 'rollout ("Canary10Percent") is not a CodeDeploy Lambda deployment config'],
    [{ rollout: '{"type": "canary",' }, 'rollout ({"type": "canary",) is not valid JSON'],
    [
      { models: { alpha: { rollout: { type: 'canary', percent: 120, intervalMinutes: 5 } } } },
      'models.alpha.rollout.percent (120) must be a whole number from 1 to 99',
    ],
  ])('rejects %j with a ConfigurationError naming the setting', (raw, message) => {
    expect(() => resolve(raw as RawConfig)).toThrow(ConfigurationError);
    expect(() => resolve(raw as RawConfig)).toThrow(message);
  });
});
