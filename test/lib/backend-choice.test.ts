import {
  AUTO_RULE,
  BACKEND_RULE,
  chooseBackend,
  LAMBDA_MAX_MEMORY_MIB,
  LAMBDA_MAX_MODEL_BYTES,
  requiredMemoryMiB,
  ZIP_MAX_MODEL_BYTES,
  zipModelInitMs,
} from '../../lib/backend-choice';

const MiB = 1024 * 1024;

describe('auto backend choice', () => {
  it('serves from a zip function while download, sha256 and session fit 8 s of the 10 s init', () => {
    // 8,000 ms / (20 + 0.5 + 4.5) ms per MiB = 320 MiB.
    expect(ZIP_MAX_MODEL_BYTES).toBe(320 * MiB);
    expect(zipModelInitMs(ZIP_MAX_MODEL_BYTES)).toBeCloseTo(BACKEND_RULE.modelInitBudgetMs, 6);
  });

  it.each([
    ['an empty model', 0, 'lambda'],
    ['the demo MNIST model', 407_610, 'lambda'],
    ['a model exactly at the zip budget', ZIP_MAX_MODEL_BYTES, 'lambda'],
    ['a model one byte over the zip budget', ZIP_MAX_MODEL_BYTES + 1, 'lambda-image'],
    ['a model exactly at Lambda memory', LAMBDA_MAX_MODEL_BYTES, 'lambda-image'],
    ['a model one byte over Lambda memory', LAMBDA_MAX_MODEL_BYTES + 1, 'sagemaker'],
  ])('chooses the backend for %s', (_what, sizeBytes, backend) => {
    const decision = chooseBackend('auto', sizeBytes);
    expect(decision.backend).toBe(backend);
    expect(decision.reason).toContain(`auto chose ${backend}`);
    expect(decision.reason).toContain(AUTO_RULE);
  });

  it('keeps a backend set in the configuration, whatever the size', () => {
    expect(chooseBackend('lambda-image', 1024)).toEqual({
      backend: 'lambda-image',
      reason: 'backend "lambda-image" set in the configuration (1.0 KiB)',
    });
    expect(chooseBackend('lambda', ZIP_MAX_MODEL_BYTES * 2).backend).toBe('lambda');
  });

  it('sizes memory at 3x the model plus 512 MiB, at least one full vCPU, and up to exactly 10,240 MiB', () => {
    expect(requiredMemoryMiB(0)).toBe(1769);
    expect(requiredMemoryMiB(1000 * MiB)).toBe(3512);
    expect(requiredMemoryMiB(LAMBDA_MAX_MODEL_BYTES)).toBe(LAMBDA_MAX_MEMORY_MIB);
    expect(requiredMemoryMiB(LAMBDA_MAX_MODEL_BYTES + 1)).toBeGreaterThan(LAMBDA_MAX_MEMORY_MIB);
  });

  it('states the rule with its numbers', () => {
    expect(AUTO_RULE).toBe(
      "auto: lambda up to 320.0 MiB (S3 download 20 ms/MiB + sha256 0.5 ms/MiB + session 4.5 ms/MiB within 8 s of Lambda's 10 s init), " +
        'lambda-image up to 3242.7 MiB (memory 3x model + 512 MiB within 10240 MiB), sagemaker above',
    );
  });
});
