import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

const ROOT = path.join(__dirname, '..');
const run = promisify(execFile);

/** The environment of a user's shell: no npm_config_* that `npm test` itself exports, no ONNX Runtime install flag. */
function plainEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !key.toLowerCase().startsWith('npm_') && !key.startsWith('ONNXRUNTIME_NODE_INSTALL'),
    ),
  );
}

describe('npm install', () => {
  it('runs no dependency install script with the committed .npmrc, whatever the npm version', async () => {
    // A local package whose postinstall would leave a marker: the same kind of script as onnxruntime-node's
    // CUDA download, installed offline by the npm on PATH with this project's .npmrc.
    const project = fs.mkdtempSync(path.join(os.tmpdir(), 'install-scripts-'));
    try {
      const dependency = path.join(project, 'with-postinstall');
      const marker = path.join(project, 'postinstall-ran');
      fs.mkdirSync(dependency);
      fs.writeFileSync(
        path.join(dependency, 'package.json'),
        JSON.stringify({
          name: 'with-postinstall',
          version: '1.0.0',
          scripts: {
            postinstall: `node -e "require('fs').writeFileSync('${marker}', '')"`,
          },
        }),
      );
      fs.writeFileSync(
        path.join(project, 'package.json'),
        JSON.stringify({
          name: 'app',
          version: '1.0.0',
          private: true,
          dependencies: { 'with-postinstall': 'file:./with-postinstall' },
        }),
      );
      fs.copyFileSync(path.join(ROOT, '.npmrc'), path.join(project, '.npmrc'));
      await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--install-links'], {
        cwd: project,
        env: plainEnvironment(),
      });
      expect(fs.existsSync(path.join(project, 'node_modules', 'with-postinstall', 'package.json'))).toBe(true);
      expect(fs.existsSync(marker)).toBe(false);
    } finally {
      fs.rmSync(project, { recursive: true, force: true });
    }
  });

  it('lists every dependency with an install script as reviewed and denied in package.json', () => {
    // A new dependency with an install script is skipped by .npmrc too; this makes its author check that the
    // package works without it and record that in allowScripts, which npm 11 and later enforce.
    const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { hasInstallScript?: boolean }>;
    };
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      allowScripts?: Record<string, boolean>;
    };
    // allowScripts names a package, not a copy: two versions of one package (nested under another) count once.
    const withScripts = [
      ...new Set(
        Object.entries(lock.packages)
          .filter(([, entry]) => entry.hasInstallScript === true)
          .map(([location]) => location.replace(/^.*node_modules\//, '')),
      ),
    ].sort();
    expect(withScripts).toContain('onnxruntime-node');
    const denied = Object.entries(manifest.allowScripts ?? {})
      .filter(([, allowed]) => !allowed)
      .map(([name]) => name)
      .sort();
    expect(withScripts).toEqual(denied);
  });
});

describe('package.json', () => {
  it('declares no command that Node.js cannot run', () => {
    // A `bin` pointing at a .ts file made `npx model-endpoint` fail with ERR_UNKNOWN_FILE_EXTENSION.
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      bin?: string | Record<string, string>;
    };
    const targets = typeof manifest.bin === 'string' ? [manifest.bin] : Object.values(manifest.bin ?? {});
    for (const target of targets) {
      expect(target).toMatch(/\.(c|m)?js$/);
      expect(fs.existsSync(path.join(ROOT, target))).toBe(true);
    }
  });
});
