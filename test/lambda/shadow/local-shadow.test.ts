import type { AddressInfo } from 'node:net';
import { parseOptions } from '../../../lambda/local/options';
import { startLocalServer } from '../../../lambda/local-server';
import { type Candidate, shadowRepository } from './shadow-fixtures';

const ROWS = [
  [39.1, 18.7, 181, 3750],
  [46.5, 13.5, 210, 4550],
];

/** Serves a repository with `--shadow penguins=2`, sends one inference, and returns the answer and the EMF line. */
async function shadowOnce(candidate: Candidate) {
  const printed: string[] = [];
  const started = await startLocalServer(
    {
      modelsDir: shadowRepository(candidate),
      port: 0,
      host: '127.0.0.1',
      logRequests: false,
      shadow: [{ model: 'penguins', version: '2', sampleRate: 1 }],
    },
    (line) => printed.push(line),
    () => undefined,
  );
  try {
    const url = `http://127.0.0.1:${(started.server.address() as AddressInfo).port}`;
    const answer = await fetch(`${url}/v2/models/penguins/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [{ name: 'features', shape: [2, 4], datatype: 'FP32', data: ROWS }] }),
    });
    const live = (await answer.json()) as { model_version: string };
    const candidateServed = (await fetch(`${url}/v2/models/penguins/versions/2`)).status;
    // The comparison runs once the answer is out, so the client may see the answer first: wait for the line.
    const deadline = Date.now() + 10_000;
    const emfLine = () => printed.find((l) => l.includes('"_aws"'));
    while (emfLine() === undefined && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const line = emfLine();
    return { live, candidateServed, emf: JSON.parse(line ?? '{}') as Record<string, unknown>, printed };
  } finally {
    started.server.close();
    started.server.closeAllConnections();
    await Promise.all([started.registry.release(), started.shadow?.release()]);
  }
}

describe('npm start -- --shadow', () => {
  it('serves the other version live and prints exact agreement when the candidate is the same model', async () => {
    const { live, candidateServed, emf, printed } = await shadowOnce('same');
    expect(live.model_version).toBe('1');
    expect(candidateServed).toBe(404);
    expect(printed).toContain('shadow: 100 % of penguins inferences also go to version 2');
    expect(emf).toMatchObject({
      model: 'penguins',
      version: '2',
      ShadowExactMatch: 1,
      ShadowMaxAbsDifference: 0,
      ShadowErrors: 0,
      _aws: { CloudWatchMetrics: [expect.objectContaining({ Namespace: 'ModelEndpoint' })] },
    });
  });

  it('prints the disagreement of a candidate that is another model', async () => {
    const { emf } = await shadowOnce('perturbed');
    expect(emf.ShadowExactMatch).toBe(0);
    expect(emf.ShadowMaxAbsDifference).toBeGreaterThan(0.01);
  });

  it('fails to start with the versions there are when the candidate is not in the repository', async () => {
    await expect(
      startLocalServer(
        {
          modelsDir: shadowRepository('same'),
          port: 0,
          host: '127.0.0.1',
          logRequests: false,
          shadow: [{ model: 'penguins', version: '3', sampleRate: 1 }],
        },
        () => undefined,
        () => undefined,
      ),
    ).rejects.toThrow('--shadow penguins=3: model penguins has no version 3 (versions: 1, 2)');
  });
});

describe('--shadow option', () => {
  it('parses name=version with an optional rate, every request by default', () => {
    expect(parseOptions(['--shadow', 'penguins=2@0.25', '--shadow', 'mnist=3'], {})).toMatchObject({
      shadow: [
        { model: 'penguins', version: '2', sampleRate: 0.25 },
        { model: 'mnist', version: '3', sampleRate: 1 },
      ],
    });
    expect(parseOptions([], {})).not.toHaveProperty('shadow');
  });

  it.each([
    ['penguins', /--shadow takes <name>=<version>\[@rate\], e.g. --shadow penguins=2@0.5, got "penguins"/],
    ['penguins=v2', /"v2" is not a version/],
    ['Penguins=2', /"Penguins" is not a model name/],
    ['penguins=2@0', /the rate must be a number greater than 0 and at most 1/],
    ['penguins=2@2', /the rate must be a number greater than 0 and at most 1/],
  ])('rejects --shadow %s', (value, message) => {
    expect(() => parseOptions(['--shadow', value], {})).toThrow(message);
  });

  it('rejects two candidates for one model', () => {
    expect(() => parseOptions(['--shadow', 'penguins=2', '--shadow', 'penguins=3'], {})).toThrow(
      '--shadow names model penguins twice',
    );
  });
});
