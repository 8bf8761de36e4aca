/**
 * One line per request, written in batches: at most every FLUSH_MS, or once a batch is full. stdout is synchronous
 * for pipes and files, and a write per request (or per event-loop turn, which at one connection is the same) cost
 * the server more than answering a small model's request, and woke whatever reads the log just as often.
 *
 * Each line is copied into the batch's buffer as it is logged, not kept as a string until the write: a string living
 * the 100 ms of a batch outlives two young-generation collections of a loaded server, so V8 moved every line (with
 * the URL it held) into the old generation, ~310 bytes per request, and the server paid for it in full collections
 * (node --trace-gc-nvp, penguins at 16 connections: 330 bytes promoted per request with strings, 18 with the buffer).
 * A buffer's bytes live outside the JavaScript heap.
 */
const FLUSH_MS = 100;
const BATCH_BYTES = 64 * 1024;
/** UTF-8 takes at most 3 bytes per UTF-16 code unit: a line of n code units fits in 3n bytes. */
const MAX_BYTES_PER_CODE_UNIT = 3;

let batch = Buffer.allocUnsafe(BATCH_BYTES);
let used = 0;
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
  const line = `${stamp} ${method} ${url} ${status} ${ms.toFixed(1)} ms\n`;
  const mostBytes = line.length * MAX_BYTES_PER_CODE_UNIT;
  if (used + mostBytes > BATCH_BYTES) flushRequestLog();
  if (mostBytes > BATCH_BYTES) {
    // A line longer than a batch (a URL of many kilobytes) is written on its own, after the lines before it.
    process.stdout.write(line);
    return;
  }
  used += batch.write(line, used);
  // Unreferenced: a pending line never keeps the process alive; an exiting process writes it on its way out.
  if (timer === undefined) timer = setTimeout(flushRequestLog, FLUSH_MS).unref();
}

export function flushRequestLog(): void {
  if (timer !== undefined) clearTimeout(timer);
  timer = undefined;
  if (used === 0) return;
  // The written batch is handed over whole and a new one started: a stream that buffers it keeps it unchanged.
  process.stdout.write(batch.subarray(0, used));
  batch = Buffer.allocUnsafe(BATCH_BYTES);
  used = 0;
}

process.on('exit', flushRequestLog);
