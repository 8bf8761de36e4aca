import { ModelEndpointClient, ModelEndpointError } from '../../client';
import { RETRY_DEFAULTS, retryDelayMs } from '../../client/retry';
import { startRecordingServer } from './recording-server';

// Retries against a loopback server that throttles or is unavailable first: what the client sends, how often, and
// which waits it chooses (reported through onRetry, so no test measures time).

describe('retries on 429 and 503', () => {
  it('retries a 503 and a 429 and returns the 200 that follows', async () => {
    const statuses = [503, 429, 200];
    const server = await startRecordingServer((_, index) => ({
      status: statuses[index],
      headers: { 'retry-after': '0' },
      body: statuses[index] === 200 ? '{"live": true}' : '{"error": "busy"}',
    }));
    const retries: { status: number; attempt: number }[] = [];
    try {
      const client = new ModelEndpointClient({
        url: server.url,
        onRetry: ({ status, attempt }) => retries.push({ status, attempt }),
      });
      expect(await client.live()).toBe(true);
      expect(retries).toEqual([
        { status: 503, attempt: 1 },
        { status: 429, attempt: 2 },
      ]);
      expect(server.requests).toHaveLength(3);
    } finally {
      await server.stop();
    }
  });

  it('waits what Retry-After asks, and fails at once when it asks for more than maxDelayMs', async () => {
    const server = await startRecordingServer((_, index) => ({
      status: 429,
      headers: { 'retry-after': index === 0 ? '1' : '3600' },
      body: '{"message": "Too Many Requests"}',
    }));
    const delays: number[] = [];
    try {
      const client = new ModelEndpointClient({ url: server.url, onRetry: ({ delayMs }) => delays.push(delayMs) });
      const error = await client.serverMetadata().catch((e: unknown) => e);
      expect(delays).toEqual([1000]);
      expect(error).toBeInstanceOf(ModelEndpointError);
      expect(error).toMatchObject({ status: 429, attempts: 2, serverMessage: 'Too Many Requests' });
      expect((error as Error).message).toBe('GET /v2 answered 429 after 2 attempts: Too Many Requests');
    } finally {
      await server.stop();
    }
  });

  it('gives up after maxAttempts with the last answer, and never retries a 400 or 500', async () => {
    const server = await startRecordingServer((request) => {
      if (request.target.endsWith('/ready')) return { status: 500, body: '{"error": "internal error"}' };
      if (request.method === 'POST') return { status: 400, body: '{"error": "input \\"x\\" is unknown"}' };
      return { status: 503, headers: { 'retry-after': '0' }, body: '{"error": "model m is loading"}' };
    });
    try {
      const client = new ModelEndpointClient({ url: server.url, retry: { maxAttempts: 3, baseDelayMs: 1 } });
      await expect(client.modelMetadata('m')).rejects.toMatchObject({
        status: 503,
        attempts: 3,
        serverMessage: 'model m is loading',
      });
      await expect(client.predict('m', [[1]])).rejects.toMatchObject({ status: 400, attempts: 1 });
      await expect(client.modelReady('m')).rejects.toMatchObject({ status: 500, attempts: 1 });
      expect(server.requests).toHaveLength(5);
    } finally {
      await server.stop();
    }
  });

  it('answers readiness 503 as not ready, without retrying', async () => {
    const server = await startRecordingServer(() => ({ status: 503, body: '{"name": "m", "ready": false}' }));
    try {
      const client = new ModelEndpointClient({ url: server.url });
      expect(await client.modelReady('m')).toBe(false);
      expect(server.requests).toHaveLength(1);
    } finally {
      await server.stop();
    }
  });
});

describe('retryDelayMs', () => {
  const options = { ...RETRY_DEFAULTS, baseDelayMs: 100, maxDelayMs: 1000 };
  it.each([
    // retry, Retry-After, random, expected
    [1, null, 1, 100],
    [2, null, 1, 200],
    [3, null, 0.5, 200],
    [5, null, 1, undefined], // past maxAttempts (4)
    [1, '2', 0, undefined], // asks for longer than maxDelayMs
    [1, '0', 0.5, 50],
    [3, null, 1, 400],
    [2, 'Wed, 02 Dec 2026 00:00:00 GMT', 0, 500],
  ] as const)('retry %i with Retry-After %p and random %p waits %p ms', (retry, retryAfter, random, expected) => {
    const now = Date.parse('Wed, 02 Dec 2026 00:00:00 GMT') - 500;
    expect(retryDelayMs({ ...options, maxAttempts: 4 }, retry, retryAfter, () => random, now)).toBe(expected);
  });

  it('never waits more than maxDelayMs without a Retry-After', () => {
    expect(retryDelayMs({ ...RETRY_DEFAULTS, maxAttempts: 40, maxDelayMs: 1000 }, 30, null, () => 1)).toBe(1000);
  });
});
