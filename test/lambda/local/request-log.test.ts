import { flushRequestLog, logRequest } from '../../../lambda/local/request-log';

/** What the request log writes to stdout, recorded instead of printed. */
function recordStdout(): { writes: string[]; restore(): void } {
  const writes: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    writes.push(String(chunk));
    return true;
  });
  return { writes, restore: () => spy.mockRestore() };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('the request log', () => {
  it('writes the lines of requests answered over several event-loop turns in one write', async () => {
    const stdout = recordStdout();
    try {
      for (let request = 0; request < 5; request++) {
        logRequest('POST', '/v2/models/penguins/infer', 200, 0.25);
        await nextTurn();
      }
      expect(stdout.writes).toEqual([]);
      flushRequestLog();
      expect(stdout.writes).toHaveLength(1);
      expect(stdout.writes[0].split('\n')).toHaveLength(6);
      expect(stdout.writes[0]).toMatch(/^\S+Z POST \/v2\/models\/penguins\/infer 200 0\.3 ms\n/);
    } finally {
      stdout.restore();
    }
  });

  it('writes a line on its own shortly after, without another request or a flush', async () => {
    const stdout = recordStdout();
    try {
      logRequest('GET', '/v2/health/ready', 503, 1);
      for (let wait = 0; wait < 100 && stdout.writes.length === 0; wait++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(stdout.writes).toEqual([expect.stringMatching(/GET \/v2\/health\/ready 503 1\.0 ms\n$/)]);
    } finally {
      stdout.restore();
    }
  });
});
