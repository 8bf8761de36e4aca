import * as path from 'node:path';
import { ConfigurationError, DEFAULT_SHADOW_SAMPLE_RATE, resolveDeploymentConfig } from '../../lib/config';
import { shadowRepository } from '../lambda/shadow/shadow-fixtures';

const repository = shadowRepository('same');
const resolve = (penguins: unknown) =>
  resolveDeploymentConfig({ modelsDir: repository, models: { penguins } }, process.cwd());

describe('models.<name>.shadow', () => {
  it('resolves the candidate to its model file, with the default sample rate', () => {
    const [model] = resolve({ version: '1', shadow: { version: '2' } }).models;
    expect(model.shadow).toEqual({
      version: '2',
      sampleRate: DEFAULT_SHADOW_SAMPLE_RATE,
      modelPath: path.join(repository, 'penguins', '2', 'model.onnx'),
    });
    expect(DEFAULT_SHADOW_SAMPLE_RATE).toBe(0.05);
  });

  it('takes a sample rate, also as a string from -c', () => {
    expect(resolve({ version: '1', shadow: { version: 2, sampleRate: 1 } }).models[0].shadow?.sampleRate).toBe(1);
    expect(resolve({ version: '1', shadow: { version: '2', sampleRate: '0.5' } }).models[0].shadow?.sampleRate).toBe(
      0.5,
    );
  });

  it('leaves a model without shadow settings without a shadow', () => {
    expect(resolve({}).models[0].shadow).toBeUndefined();
  });

  it.each([
    [
      { version: '2', shadow: { version: '2' } },
      /shadow.version \("2"\) is the version already live: name the candidate/,
    ],
    [
      { version: '1', shadow: { version: '3' } },
      /shadow.version \("3"\) has no model file \(versions: 1, 2\): add penguins\/3\/model.onnx/,
    ],
    [
      { version: '1', shadow: '2' },
      /models.penguins.shadow \("2"\) must be an object such as \{"version": "2", "sampleRate": 0.05\}/,
    ],
    [{ version: '1', shadow: {} }, /shadow.version \(undefined\) must name the candidate's version folder/],
    [{ version: '1', shadow: { version: 'v2' } }, /must name the candidate's version folder, a positive integer/],
    [
      { version: '1', shadow: { version: '2', rate: 0.1 } },
      /shadow.rate is not a shadow setting: use version, sampleRate/,
    ],
    [
      { version: '1', shadow: { version: '2', sampleRate: 0 } },
      /sampleRate \(0\) must be greater than 0 .*remove models.penguins.shadow/,
    ],
    [{ version: '1', shadow: { version: '2', sampleRate: 1.5 } }, /sampleRate \(1.5\) must be at most 1/],
    [{ version: '1', backend: 'sagemaker', shadow: { version: '2' } }, /needs a model that runs in a Lambda function/],
  ])('rejects %j', (penguins, message) => {
    expect(() => resolve(penguins)).toThrow(ConfigurationError);
    expect(() => resolve(penguins)).toThrow(message);
  });
});
