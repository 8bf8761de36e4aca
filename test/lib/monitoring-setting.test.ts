import { ConfigurationError, type RawConfig, resolveDeploymentConfig } from '../../lib/config';
import { MONITORING_DEFAULTS, parseCaptureSettings, parseMonitoringSettings } from '../../lib/monitoring-setting';
import { FIXTURE_REPOSITORY } from './synth';

const resolve = (raw: RawConfig) => resolveDeploymentConfig({ modelsDir: FIXTURE_REPOSITORY, ...raw }, process.cwd());

describe('capture and monitoring settings', () => {
  it('captures no model unless its capture setting says so, and monitors with the documented defaults', () => {
    const config = resolve({});
    expect(config.models.map((model) => model.capture)).toEqual([undefined, undefined]);
    expect(config.monitoring).toEqual({
      scheduleHours: 1,
      windowHours: 24,
      thresholds: { watch: 0.1, act: 0.2 },
      minimumRows: 100,
      captureRetentionDays: 90,
      featureMetricsLimit: 32,
      accuracyAlarmMargin: 0.05,
    });
  });

  it('turns capture on per model, with a 10 % sample by default', () => {
    const config = resolve({
      models: {
        alpha: { capture: {} },
        beta: { capture: { sampleRate: 1, dropFields: ['email'], hashFields: ['customer'] } },
      },
    });
    expect(config.models.map((model) => [model.name, model.capture])).toEqual([
      ['alpha', { sampleRate: 0.1, dropFields: [], hashFields: [] }],
      ['beta', { sampleRate: 1, dropFields: ['email'], hashFields: ['customer'] }],
    ]);
  });

  it('reads the monitoring setting from JSON text, as -c monitoring=... gives it', () => {
    const config = resolve({ monitoring: '{"scheduleHours": 6, "thresholds": {"watch": 0.05, "act": 0.25}}' });
    expect(config.monitoring).toEqual({
      ...MONITORING_DEFAULTS,
      scheduleHours: 6,
      thresholds: { watch: 0.05, act: 0.25 },
    });
  });

  it.each([
    [
      { sampleRate: 0 },
      'models.alpha.capture.sampleRate (0) must be greater than 0 and at most 1: to stop capturing, remove models.alpha.capture',
    ],
    [{ sampleRate: '1.5' }, 'models.alpha.capture.sampleRate (1.5) must be greater than 0 and at most 1'],
    [{ rate: 1 }, 'models.alpha.capture.rate is not a capture setting: use sampleRate, dropFields, hashFields'],
    [
      { dropFields: 'email' },
      'models.alpha.capture.dropFields ("email") must be a list of feature or tensor names without commas',
    ],
    [
      { hashFields: ['a,b'] },
      'models.alpha.capture.hashFields (["a,b"]) must be a list of feature or tensor names without commas',
    ],
    [{ dropFields: ['email'], hashFields: ['email'] }, 'models.alpha.capture both drops and hashes email'],
    [true, 'models.alpha.capture (true) must be an object such as'],
  ])('rejects the capture setting %j, naming it', (capture, message) => {
    expect(() => resolve({ models: { alpha: { capture } } })).toThrow(ConfigurationError);
    expect(() => resolve({ models: { alpha: { capture } } })).toThrow(message);
  });

  it.each([
    [{ scheduleHours: 0.5 }, 'monitoring.scheduleHours (0.5) must be a whole number from 1 to 24: e.g. 1'],
    [{ scheduleHours: 48 }, 'monitoring.scheduleHours (48) must be a whole number from 1 to 24'],
    [{ captureRetentionDays: 0 }, 'monitoring.captureRetentionDays (0) must be a whole number from 1 to 36500'],
    [
      { thresholds: { watch: 0.3, act: 0.2 } },
      'monitoring.thresholds (watch 0.3, act 0.2) must be above 0 with act at least watch',
    ],
    [{ thresholds: { warn: 0.1 } }, 'monitoring.thresholds.warn is not a threshold setting: use watch, act'],
    [{ accuracyAlarmMargin: 1 }, 'monitoring.accuracyAlarmMargin (1) must be at least 0 and below 1'],
    [{ window: 24 }, 'monitoring.window is not a monitoring setting: use scheduleHours, windowHours'],
    ['{not json', 'monitoring ({not json) is not valid JSON'],
  ])('rejects the monitoring setting %j, naming it', (monitoring, message) => {
    expect(() => resolve({ monitoring })).toThrow(ConfigurationError);
    expect(() => resolve({ monitoring })).toThrow(message);
  });

  it('parses on its own, for constructs used without the config', () => {
    expect(parseCaptureSettings({ hashFields: ['id', 'id'] }, 'capture')).toEqual({
      sampleRate: 0.1,
      dropFields: [],
      hashFields: ['id'],
    });
    expect(parseMonitoringSettings(undefined)).toBe(MONITORING_DEFAULTS);
  });
});
