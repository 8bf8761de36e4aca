import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { loadPenguinsSplit, PENGUIN_FEATURES } from '../../scripts/train/penguins-data';
import { launchChromium } from '../support/chromium';
import { capturedRecords, loadDemoModel, writeCaptureFolder } from '../support/demo-captures';
import { DEMO_MODELS } from '../support/demo-models';

const REPOSITORY_ROOT = path.join(__dirname, '..', '..');
/** Where the report's screenshot is kept for people to look at (gitignored). */
const ARTIFACTS = path.join(REPOSITORY_ROOT, 'test-artifacts');

interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `npm run drift -- <args>` as a user runs it, through tsx, without npm's own output. */
async function drift(args: readonly string[]): Promise<RunResult> {
  const tsx = path.join(REPOSITORY_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [tsx, 'scripts/drift/main.ts', ...args], {
      cwd: REPOSITORY_ROOT,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

describe('npm run drift', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drift-cli-'));
  const captureDir = path.join(dir, 'capture');
  const report = path.join(dir, 'report.html');

  beforeAll(async () => {
    // Hour 09: the held-out penguins as they are; hour 10: the same penguins, 30 % heavier.
    const penguins = await loadDemoModel('penguins');
    const { heldOut } = loadPenguinsSplit();
    const mass = PENGUIN_FEATURES.indexOf('body_mass_g');
    const heavier = heldOut.features.map((row) => row.map((value, i) => (i === mass ? value * 1.3 : value)));
    writeCaptureFolder(captureDir, await capturedRecords(penguins, heldOut.features, new Date('2026-12-01T09:15:00Z')));
    writeCaptureFolder(captureDir, await capturedRecords(penguins, heavier, new Date('2026-12-01T10:15:00Z')));
    await penguins.model.release();
  });

  it('prints PSI per feature, writes the report, and exits 3 with --fail-on-drift when a feature shifted', async () => {
    const args = ['--capture', captureDir, '--models', DEMO_MODELS, '--since', '2026-12-01T10:00Z'];
    const failing = await drift([...args, '--report', report, '--fail-on-drift']);
    expect(failing.code).toBe(3);
    expect(failing.stdout).toMatch(/^penguins version 1: 86 rows in 86 records from 1 file; drift act$/m);
    expect(failing.stdout).toMatch(/^ {2}body_mass_g +\d+\.\d{4} {2}act$/m);
    expect(failing.stdout).toMatch(/^ {2}bill_depth_mm +0\.\d{4} {2}stable$/m);
    // 86 rows against 256 in ten bins: 9 × (1/86 + 1/256) ≈ 0.14 of PSI is sampling noise, and the table says so.
    expect(failing.stdout).toMatch(
      /^ {2}few rows: sampling alone gives a PSI of about 0\.14 here; the drift job waits/m,
    );
    expect(failing.stderr).toMatch(/drift past the act threshold \(0\.2\) in penguins version 1/);
    expect(fs.readFileSync(report, 'utf8')).toMatch(/^<!doctype html>/);

    const informing = await drift([...args, '--report', path.join(dir, 'again.html')]);
    expect(informing.code).toBe(0);
  });

  it('reads every hour without --since, and only the held-out hour before the shift with --model and a window', async () => {
    const all = await drift(['--capture', captureDir, '--models', DEMO_MODELS, '--report', path.join(dir, 'all.html')]);
    expect(all.stdout).toMatch(/^penguins version 1: 172 rows in 172 records from 2 files/m);
    const before = path.join(dir, 'before');
    fs.cpSync(
      path.join(captureDir, 'captures', 'model=penguins', 'version=1', 'date=2026-12-01', 'hour=09'),
      path.join(before, 'captures', 'model=penguins', 'version=1', 'date=2026-12-01', 'hour=09'),
      { recursive: true },
    );
    const heldOut = await drift([
      '--capture',
      before,
      '--model',
      'penguins',
      '--models',
      DEMO_MODELS,
      '--report',
      path.join(dir, 'before.html'),
      '--fail-on-drift',
    ]);
    expect(heldOut.code).toBe(0);
    expect(heldOut.stdout).not.toMatch(/ act$/m);
  });

  it('renders a chart with visible bars for every feature and output in headless Chromium', async () => {
    expect(fs.existsSync(report)).toBe(true);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const requests: string[] = [];
      page.on('request', (request) => requests.push(request.url()));
      await page.goto(pathToFileURL(report).href);
      const charts = await page.$$eval('figure.chart', (figures) =>
        figures.map((figure) => ({
          name: figure.getAttribute('data-name'),
          bars: [...figure.querySelectorAll('svg rect.bar')].map((bar) => {
            const box = bar.getBoundingClientRect();
            return { width: box.width, height: box.height };
          }),
        })),
      );
      expect(charts.map((chart) => chart.name).sort()).toEqual([...PENGUIN_FEATURES, 'label', 'probabilities'].sort());
      for (const chart of charts) {
        expect(chart.bars.filter((bar) => bar.width > 0 && bar.height > 0).length).toBeGreaterThan(0);
      }
      // Self-contained: the page itself is the only thing the browser loaded.
      expect(requests).toEqual([pathToFileURL(report).href]);
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, 'drift-report.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  });

  it('fails with what to run when a captured model has no baseline, and with the usage when --capture is missing', async () => {
    const models = path.join(dir, 'models');
    fs.mkdirSync(path.join(models, 'penguins', '1'), { recursive: true });
    fs.copyFileSync(
      path.join(DEMO_MODELS, 'penguins', '1', 'model.onnx'),
      path.join(models, 'penguins', '1', 'model.onnx'),
    );
    const noBaseline = await drift([
      '--capture',
      captureDir,
      '--models',
      models,
      '--report',
      path.join(dir, 'none.html'),
    ]);
    expect(noBaseline.code).toBe(1);
    expect(noBaseline.stderr).toMatch(
      /penguins version 1: model "penguins" version 1 has no baseline .*npm run baseline -- models\/penguins\/1 --data FILE/,
    );

    const usage = await drift(['--models', models]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--capture <dir> is required/);
    expect(usage.stderr).toMatch(/Usage: npm run drift/);
  });
});
