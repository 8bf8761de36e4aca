import { processCpu } from '../../bench/process-cpu';

describe('processCpu', () => {
  it("reads this process's CPU time from /proc, all threads and the main thread, and sees it grow", () => {
    const before = processCpu(process.pid);
    if (process.platform !== 'linux') {
      expect(before).toBeUndefined();
      return;
    }
    if (before === undefined) throw new Error('no /proc on this Linux machine');
    expect(before.mainThreadMs).toBeGreaterThan(0);
    expect(before.mainThreadMs).toBeLessThanOrEqual(before.processMs);
    // Busy until the kernel has counted at least one more tick for the thread and the process, bounded at 5 s (the
    // two are read one after the other, so a tick can fall between the reads).
    const deadline = Date.now() + 5_000;
    const grown = (now: typeof before) => now.mainThreadMs > before.mainThreadMs && now.processMs > before.processMs;
    let after = processCpu(process.pid);
    while (after !== undefined && !grown(after) && Date.now() < deadline) after = processCpu(process.pid);
    expect(after?.mainThreadMs).toBeGreaterThan(before.mainThreadMs);
    expect(after?.processMs).toBeGreaterThan(before.processMs);
  });

  it('is undefined for a process that does not exist', () => {
    expect(processCpu(2 ** 22 + 1)).toBeUndefined();
    expect(processCpu(undefined)).toBeUndefined();
  });
});
