import { readdirSync, readFileSync } from 'node:fs';
import { parseSpinWaitMs, type SpinWait, spinWait } from '../../../lambda/local/spin-wait';

/** Polls until the spinner is in `state`, for at most two seconds (the states change within milliseconds). */
async function until(spinner: SpinWait, state: SpinWait['state']): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (spinner.state !== state) {
    if (Date.now() > deadline) throw new Error(`the spinner stayed ${spinner.state}, never ${state}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** The nice value of each thread of this process, by thread id (field 19 of /proc/<pid>/task/<tid>/stat). */
function threadNiceValues(): Map<number, number> {
  const values = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    // The command name, in parentheses, may hold spaces: the fields are counted after its closing one.
    values.set(Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
  }
  return values;
}

function lowestPriorityThreads(): number {
  return [...threadNiceValues().values()].filter((nice) => nice === 19).length;
}

describe('spin wait', () => {
  it('is off at 0 ms', () => {
    expect(spinWait(0)).toBeUndefined();
  });

  // Windows long enough for a poll every millisecond or so to see the spinning, on a busy machine too.
  it('spins on one thread at the lowest priority after a request, and sleeps once requests stop', async () => {
    // Counted before and after: jest runs other test files' servers, and so their spinners, in this process too.
    const before = lowestPriorityThreads();
    const spinner = spinWait(100) as SpinWait;
    expect(spinner).toBeDefined();
    await until(spinner, 'sleeping');
    expect(lowestPriorityThreads()).toBe(before + 1);
    // One spinner per process, whoever asks; the main thread keeps its priority.
    spinWait(100);
    expect(lowestPriorityThreads()).toBe(before + 1);
    expect(threadNiceValues().get(process.pid)).toBe(0);

    spinner.requestStarted();
    await until(spinner, 'spinning');
    spinner.requestEnded();
    await until(spinner, 'sleeping');
  });

  it('keeps spinning while one request follows another, longer than the window', async () => {
    const spinner = spinWait(250) as SpinWait;
    await until(spinner, 'sleeping');
    spinner.requestStarted();
    await until(spinner, 'spinning');
    // Sixty requests 10 ms apart span over twice the window: each one restarts it. (A window this long, so that a
    // slow timer on a busy machine cannot outlast it.)
    for (let request = 0; request < 60; request++) {
      spinner.requestEnded();
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(spinner.state).toBe('spinning');
      spinner.requestStarted();
    }
    spinner.requestEnded();
    await until(spinner, 'sleeping');
  });

  it('pauses while requests overlap, and spins again for one at a time', async () => {
    const spinner = spinWait(100) as SpinWait;
    spinner.requestStarted();
    spinner.requestStarted();
    await until(spinner, 'paused');
    spinner.requestEnded();
    spinner.requestEnded();
    await until(spinner, 'sleeping');
    spinner.requestStarted();
    await until(spinner, 'spinning');
    spinner.requestEnded();
    await until(spinner, 'sleeping');
  });

  it('reads its window, with a message naming the option when it cannot', () => {
    expect(parseSpinWaitMs(undefined, 'SPIN_WAIT_MS')).toBe(2);
    expect(parseSpinWaitMs(' ', 'SPIN_WAIT_MS')).toBe(2);
    expect(parseSpinWaitMs('0', 'SPIN_WAIT_MS')).toBe(0);
    expect(parseSpinWaitMs('12.5', 'SPIN_WAIT_MS')).toBe(12.5);
    for (const bad of ['-1', '1001', 'fast', 'NaN']) {
      expect(() => parseSpinWaitMs(bad, 'SPIN_WAIT_MS')).toThrow(
        `SPIN_WAIT_MS must be a number of milliseconds from 0 (off) to 1000, got "${bad}"`,
      );
    }
  });
});
