/**
 * One line per request, written once per event-loop turn: under load, a write to stdout per request costs more
 * than serving a small model's request does.
 */
let pending: string[] = [];

export function logRequest(method: string | undefined, url: string | undefined, status: number, ms: number): void {
  if (pending.push(`${new Date().toISOString()} ${method} ${url} ${status} ${ms.toFixed(1)} ms`) === 1) {
    setImmediate(flushRequestLog);
  }
}

export function flushRequestLog(): void {
  if (pending.length === 0) return;
  process.stdout.write(`${pending.join('\n')}\n`);
  pending = [];
}
