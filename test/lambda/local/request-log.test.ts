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

  it('writes a full batch at once, and a line longer than a batch on its own, keeping the order of the lines', () => {
    const stdout = recordStdout();
    try {
      const longUrl = `/v2/models/${'m'.repeat(70_000)}/infer`;
      for (let request = 0; request < 2_000; request++) logRequest('POST', `/v2/models/m${request}/infer`, 200, 1);
      logRequest('POST', longUrl, 404, 1);
      logRequest('GET', '/v2/health/live', 200, 1);
      flushRequestLog();
      const lines = stdout.writes.join('').split('\n').slice(0, -1);
      expect(lines.map((line) => line.split(' ')[2])).toEqual([
        ...Array.from({ length: 2_000 }, (_, request) => `/v2/models/m${request}/infer`),
        longUrl,
        '/v2/health/live',
      ]);
      // Batches of at most 64 KiB: 2,000 short lines took more than one, and the long line was a write of its own.
      expect(stdout.writes.length).toBeGreaterThanOrEqual(4);
      expect(stdout.writes.filter((chunk) => chunk.includes(longUrl))).toEqual([expect.stringMatching(/^\S+Z POST /)]);
      expect(stdout.writes.every((chunk) => chunk.includes(longUrl) || Buffer.byteLength(chunk) <= 64 * 1024)).toBe(
        true,
      );
    } finally {
      stdout.restore();
    }
  });

  it('writes non-ASCII characters of a URL as UTF-8', () => {
    const stdout = recordStdout();
    try {
      logRequest('GET', '/v2/models/caf\u00e9\u{1F600}', 404, 1);
      flushRequestLog();
      expect(stdout.writes.join('')).toMatch(/ GET \/v2\/models\/caf\u00e9\u{1F600} 404 1\.0 ms\n$/u);
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
