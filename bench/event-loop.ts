import { Agent, request } from 'node:http';
import type { BenchCase } from './cases';
import type { ServerProcess } from './children';
import { type Summary, summarize } from './stats';

export interface EventLoopDelay {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export interface EventLoopResult {
  /** Health-check latency in ms with the server idle. */
  readonly idle: Summary & { readonly p99: number; readonly max: number };
  /** The same while inferences run back to back. */
  readonly busy: Summary & { readonly p99: number; readonly max: number };
  /** Latency of the long inferences themselves, ms. */
  readonly inference: Summary;
  /** The server's own event-loop delay (ms) while busy, from perf_hooks inside it: blocking, without contention. */
  readonly serverDelay: EventLoopDelay;
}

/** Starts the server's event-loop monitor and returns a function that stops it and reads the delays. */
function monitorServer(server: ServerProcess): () => Promise<EventLoopDelay> {
  const child = server.child;
  child.send('start');
  return () =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the server did not report its event-loop delay')), 5000);
      child.once('message', (message: { eventLoopDelay: EventLoopDelay }) => {
        clearTimeout(timer);
        resolve(message.eventLoopDelay);
      });
      child.send('stop');
    });
}

const POLL_INTERVAL_MS = 10;
// Two inferences in flight, so the server always has the next one queued while one runs.
const CONCURRENT_INFERENCES = 2;

function send(agent: Agent, url: string, method: string, body?: string): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      { method, agent, headers: body === undefined ? {} : { 'content-type': 'application/json' } },
      (response) => {
        response.resume();
        response.once('end', () => {
          if ((response.statusCode ?? 500) >= 300)
            reject(new Error(`${method} ${url} answered ${response.statusCode}`));
          else resolve(performance.now() - started);
        });
      },
    );
    outgoing.once('error', reject);
    outgoing.end(body);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function pollLive(agent: Agent, server: ServerProcess, seconds: number): Promise<number[]> {
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  while (performance.now() < deadline) {
    latencies.push(await send(agent, `${server.url}/v2/health/live`, 'GET'));
    await sleep(POLL_INTERVAL_MS);
  }
  return latencies;
}

function withTail(values: number[]): Summary & { p99: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { ...summarize(sorted), p99: sorted[Math.floor((sorted.length - 1) * 0.99)], max: sorted[sorted.length - 1] };
}

/**
 * Polls GET /v2/health/live every 10 ms, first idle and then while long inferences (the wide model at a large batch)
 * run back to back: if session.run or the JSON around it holds the event loop, the probe waits that long.
 */
export async function measureEventLoop(
  server: ServerProcess,
  longCase: BenchCase,
  seconds: number,
): Promise<EventLoopResult> {
  const probeAgent = new Agent({ keepAlive: true, maxSockets: 1 });
  const loadAgent = new Agent({ keepAlive: true, maxSockets: CONCURRENT_INFERENCES });
  try {
    const idle = await pollLive(probeAgent, server, seconds);
    const inference: number[] = [];
    let loading = true;
    const loops = Array.from({ length: CONCURRENT_INFERENCES }, async () => {
      while (loading) inference.push(await send(loadAgent, `${server.url}${longCase.path}`, 'POST', longCase.body));
    });
    // Let the first inferences reach the server before probing.
    await sleep(50);
    const stopMonitor = monitorServer(server);
    const busy = await pollLive(probeAgent, server, seconds);
    const serverDelay = await stopMonitor();
    loading = false;
    await Promise.all(loops);
    return { idle: withTail(idle), busy: withTail(busy), inference: summarize(inference), serverDelay };
  } finally {
    probeAgent.destroy();
    loadAgent.destroy();
  }
}
