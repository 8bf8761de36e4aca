import { HelpRequested, parseOptions, USAGE } from '../../../lambda/local/options';

describe('local server options', () => {
  it('defaults to port 8080 on loopback, the models folder and the highest version only', () => {
    expect(parseOptions([], {})).toEqual({
      port: 8080,
      host: '127.0.0.1',
      modelsDir: 'models',
      allVersions: false,
      spinWaitMs: 2,
    });
  });

  it('reads PORT, HOST and MODELS_DIR, and lets the command line win over them', () => {
    const env = { PORT: '9000', HOST: '0.0.0.0', MODELS_DIR: 'elsewhere' };
    expect(parseOptions([], env)).toEqual({
      port: 9000,
      host: '0.0.0.0',
      modelsDir: 'elsewhere',
      allVersions: false,
      spinWaitMs: 2,
    });
    expect(parseOptions(['--port', '0', '--host', '::1', '--models', 'm', '--all-versions'], env)).toEqual({
      port: 0,
      host: '::1',
      modelsDir: 'm',
      allVersions: true,
      spinWaitMs: 2,
    });
  });

  it('reads the spin window from --spin-wait-ms or SPIN_WAIT_MS, 0 turning it off', () => {
    expect(parseOptions([], { SPIN_WAIT_MS: '0' })).toMatchObject({ spinWaitMs: 0 });
    expect(parseOptions(['--spin-wait-ms', '0.5'], { SPIN_WAIT_MS: '7' })).toMatchObject({ spinWaitMs: 0.5 });
    expect(() => parseOptions(['--spin-wait-ms', 'soon'], {})).toThrow(
      '--spin-wait-ms must be a number of milliseconds from 0 (off) to 1000, got "soon"',
    );
    expect(() => parseOptions([], { SPIN_WAIT_MS: '-1' })).toThrow(/^SPIN_WAIT_MS must be/);
  });

  it.each([['--help'], ['-h'], ['--port', '1', '--help']])('asks for the usage with %s', (...argv) => {
    expect(parseOptions(argv, {})).toBeInstanceOf(HelpRequested);
  });

  it('documents every option and variable with its default in the usage', () => {
    for (const text of ['--port', 'PORT', '8080', '--host', 'HOST', '127.0.0.1', '--models', 'MODELS_DIR']) {
      expect(USAGE).toContain(text);
    }
    expect(USAGE).toContain('--all-versions');
    for (const text of ['--spin-wait-ms', 'SPIN_WAIT_MS', 'default 2)']) expect(USAGE).toContain(text);
  });

  it.each<[string[], NodeJS.ProcessEnv, RegExp]>([
    [['--bogus'], {}, /^unknown option --bogus$/],
    [['-x'], {}, /^unknown option -x$/],
    [['models2'], {}, /unexpected argument "models2".*--models models2/],
    [['--port'], {}, /--port/],
    [['--port', 'http'], {}, /--port \(or PORT\) must be an integer from 0 to 65535, got "http"/],
    [[], { PORT: '70000' }, /got "70000"/],
    [['--port', ' '], {}, /got " "/],
  ])('rejects %j with a message naming the problem', (argv, env, message) => {
    expect(() => parseOptions(argv, env)).toThrow(message);
  });

  it('keeps at most --max-loaded-models (or MAX_LOADED_MODELS) versions loaded, the command line first', () => {
    expect(parseOptions(['--max-loaded-models', '64'], {})).toMatchObject({ maxLoadedModels: 64 });
    expect(parseOptions([], { MAX_LOADED_MODELS: '8' })).toMatchObject({ maxLoadedModels: 8 });
    expect(parseOptions(['--max-loaded-models', '2'], { MAX_LOADED_MODELS: '8' })).toMatchObject({
      maxLoadedModels: 2,
    });
    expect(USAGE).toContain('--max-loaded-models <n>');
    for (const bad of ['0', '1.5', 'many', ' ']) {
      expect(() => parseOptions(['--max-loaded-models', bad], {})).toThrow(
        `--max-loaded-models (or MAX_LOADED_MODELS) must be a whole number of at least 1, got "${bad}"`,
      );
    }
  });

  it('captures into a folder with --capture, every request by default, with fields to drop and hash', () => {
    expect(parseOptions(['--capture', 'captures'], {})).toMatchObject({
      capture: { folder: 'captures', sampleRate: 1, dropFields: [], hashFields: [] },
    });
    const argv = ['--capture', 'c', '--capture-sample', '0.25', '--capture-drop', 'a, b', '--capture-hash', 'c'];
    expect(parseOptions(argv, {})).toMatchObject({
      capture: { folder: 'c', sampleRate: 0.25, dropFields: ['a', 'b'], hashFields: ['c'] },
    });
    expect(USAGE).toContain('--capture <dir>');
  });

  it.each<[string[], RegExp]>([
    [['--capture-sample', '0.5'], /^--capture-sample needs --capture <dir>/],
    [['--capture-drop', 'a'], /^--capture-drop needs --capture <dir>/],
    [['--capture', ''], /^--capture needs a folder/],
    [
      ['--capture', 'c', '--capture-sample', '0'],
      /--capture-sample must be a number greater than 0 and at most 1, got "0"/,
    ],
    [['--capture', 'c', '--capture-sample', 'some'], /got "some"/],
  ])('rejects %j with a message naming the capture option', (argv, message) => {
    expect(() => parseOptions(argv, {})).toThrow(message);
  });
});
