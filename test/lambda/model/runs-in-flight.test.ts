import { RunsInFlight } from '../../../lambda/model/runs-in-flight';

/** Whether `promise` has settled by the time the queued microtasks and one macrotask have run. */
async function settledSoon(promise: Promise<void>): Promise<boolean> {
  let settled = false;
  void promise.then(() => {
    settled = true;
  });
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

describe('RunsInFlight', () => {
  it('is finished at once when no run is in flight', async () => {
    expect(await settledSoon(new RunsInFlight().finished())).toBe(true);
  });

  it('is finished only once every run started so far has ended', async () => {
    const runs = new RunsInFlight();
    runs.start();
    runs.start();
    const finished = runs.finished();
    runs.end();
    expect(await settledSoon(finished)).toBe(false);
    runs.end();
    expect(await settledSoon(finished)).toBe(true);
  });

  it('waits again for runs started after it was last finished', async () => {
    const runs = new RunsInFlight();
    runs.start();
    const first = runs.finished();
    runs.end();
    expect(await settledSoon(first)).toBe(true);
    runs.start();
    const second = runs.finished();
    expect(await settledSoon(second)).toBe(false);
    runs.end();
    expect(await settledSoon(second)).toBe(true);
  });
});
