/**
 * One line per request, written in batches: at most every FLUSH_MS, or once MAX_PENDING lines wait. stdout is
 * synchronous for pipes and files, and a write per request (or per event-loop turn, which at one connection is the
 * same) cost the server more than answering a small model's request, and woke whatever reads the log just as often.
 */
const FLUSH_MS = 100;
const MAX_PENDING = 1000;

let pending: string[] = [];
let timer: NodeJS.Timeout | undefined;

/** The last line's timestamp: requests answered within the same millisecond share it instead of formatting it again. */
let stampedAt = Number.NaN;
let stamp = '';

export function logRequest(method: string | undefined, url: string | undefined, status: number, ms: number): void {
  const now = Date.now();
  if (now !== stampedAt) {
    stampedAt = now;
    stamp = new Date(now).toISOString();
  }
  const waiting = pending.push(`${stamp} ${method} ${url} ${status} ${ms.toFixed(1)} ms`);
  if (waiting >= MAX_PENDING) flushRequestLog();
  // Unreferenced: a pending line never keeps the process alive; an exiting process writes it on its way out.
  else if (timer === undefined) timer = setTimeout(flushRequestLog, FLUSH_MS).unref();
}

export function flushRequestLog(): void {
  if (timer !== undefined) clearTimeout(timer);
  timer = undefined;
  if (pending.length === 0) return;
  process.stdout.write(`${pending.join('\n')}\n`);
  pending = [];
}

process.on('exit', flushRequestLog);
