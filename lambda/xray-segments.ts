import { randomBytes } from 'node:crypto';
import type * as Dgram from 'node:dgram';

/**
 * X-Ray subsegments of a Lambda invocation, sent to the daemon as the X-Ray SDK sends them: one JSON document per
 * closed subsegment (`type: "subsegment"`, its trace and parent ids), in UDP datagrams of the daemon protocol. The
 * runtime records only its own subsegments under the segment Lambda writes for the invocation, which is all the
 * SDK did here; it does not need the SDK's context propagation, sampling rules or client patching, which were half
 * of the handler's bundle and ~10 ms of its init.
 */

let dgram: typeof Dgram | undefined;

/**
 * node:dgram, loaded on first use rather than imported: an import is loaded (1-3 ms, with the modules it pulls in)
 * before any of the handler's code runs, in front of the model's GET, while warmSegmentSending loads it in the wait
 * for S3's answer. `require` is defined in the ES module bundle too (see the esbuild banner).
 */
function createSocket(type: Dgram.SocketType): Dgram.Socket {
  dgram ??= require('node:dgram') as typeof Dgram;
  return dgram.createSocket(type);
}

/** The invocation's trace, from the `Root=...;Parent=...;Sampled=...` header Lambda sets for each invocation. */
export interface TraceHeader {
  readonly root: string;
  readonly parent: string;
  readonly sampled: boolean;
}

/** Undefined when the header is missing or names no root and parent: there is then nothing to attach to. */
export function parseTraceHeader(header: string | undefined): TraceHeader | undefined {
  if (header === undefined || header === '') return undefined;
  const fields = new Map<string, string>();
  for (const part of header.split(';')) {
    const equals = part.indexOf('=');
    if (equals > 0) fields.set(part.slice(0, equals).trim(), part.slice(equals + 1).trim());
  }
  const root = fields.get('Root');
  const parent = fields.get('Parent');
  if (root === undefined || parent === undefined || root === '' || parent === '') return undefined;
  // As the SDK reads it: only an explicit Sampled=0 turns recording off.
  return { root, parent, sampled: fields.get('Sampled') !== '0' };
}

export interface DaemonAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * AWS_XRAY_DAEMON_ADDRESS as Lambda sets it (`host:port`), or with separate `tcp:host:port udp:host:port` parts,
 * of which segments use the UDP one. The daemon's default address when unset.
 */
export function parseDaemonAddress(value: string | undefined): DaemonAddress {
  const text = value?.trim() || '127.0.0.1:2000';
  const parts = text.split(/\s+/);
  const udp = parts.find((part) => part.startsWith('udp:'))?.slice('udp:'.length) ?? parts[0];
  const colon = udp.lastIndexOf(':');
  const port = Number(udp.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new Error(
      `AWS_XRAY_DAEMON_ADDRESS (${value}) is not host:port: Lambda sets it to its daemon's address; unset it to use 127.0.0.1:2000`,
    );
  }
  return { host: udp.slice(0, colon), port };
}

/** Seconds since the epoch with microseconds, as X-Ray wants start and end times. */
const nowSeconds = () => (performance.timeOrigin + performance.now()) / 1000;

const newId = () => randomBytes(8).toString('hex');

interface StackFrame {
  readonly path: string;
  readonly line: number;
  readonly label: string;
}

/** An error's stack frames as the X-Ray SDK records them: label, file path and line. */
function stackFrames(stack: string | undefined): StackFrame[] {
  if (stack === undefined) return [];
  return stack
    .split('\n')
    .slice(1)
    .map((frame) => {
      const line = frame.trim().replace(/^at /, '');
      const located = /^(.*?) \((.*)\)$/.exec(line);
      const label = located?.[1] ?? 'anonymous';
      const location = located?.[2] ?? line;
      const match = /^(.*?):(\d+)(?::\d+)?$/.exec(location);
      return { path: match?.[1] ?? location, line: Number(match?.[2] ?? 0), label };
    });
}

interface Cause {
  readonly working_directory?: string;
  readonly id?: string;
  readonly exceptions: Array<{ id: string; message: string; type: string; remote: boolean; stack: StackFrame[] }>;
}

/**
 * The error an inner subsegment recorded last, so that the subsegments it propagates through point at that record
 * instead of repeating it, as the SDK does.
 */
let recorded: { readonly error: unknown; readonly subsegment: string } | undefined;

/** One subsegment of an invocation's trace: open until closed, then one document for the daemon. */
export class Subsegment {
  readonly id = newId();
  private readonly startTime = nowSeconds();
  private annotations: Record<string, string | number | boolean> | undefined;
  private fault = false;
  private cause: Cause | undefined;

  constructor(
    readonly name: string,
    readonly traceId: string,
    readonly parentId: string,
  ) {}

  child(name: string): Subsegment {
    return new Subsegment(name, this.traceId, this.id);
  }

  annotate(key: string, value: string | number | boolean): void {
    this.annotations ??= {};
    this.annotations[key] = value;
  }

  /** The work answered with a server error (5xx). */
  markFault(): void {
    this.fault = true;
  }

  /** The work threw: a fault, with the error's type, message and stack as the cause. */
  addError(error: unknown): void {
    this.fault = true;
    if (recorded !== undefined && recorded.error === error) {
      this.cause = { id: recorded.subsegment, exceptions: [] };
      return;
    }
    recorded = { error, subsegment: this.id };
    const { name, message, stack } =
      error instanceof Error ? error : { name: typeof error, message: String(error), stack: undefined };
    this.cause = {
      working_directory: process.cwd(),
      exceptions: [{ id: newId(), message, type: name, remote: false, stack: stackFrames(stack) }],
    };
  }

  /** Ends the subsegment now; returns its document, to send to the daemon. */
  close(): string {
    return JSON.stringify({
      type: 'subsegment',
      id: this.id,
      trace_id: this.traceId,
      parent_id: this.parentId,
      name: this.name,
      start_time: this.startTime,
      end_time: nowSeconds(),
      ...(this.annotations === undefined ? {} : { annotations: this.annotations }),
      ...(this.fault ? { fault: true } : {}),
      ...(this.cause === undefined ? {} : { cause: this.cause }),
    });
  }
}

/**
 * Loads what the first send needs (node:dgram, and the cluster, child_process and dns modules it loads on a socket's
 * first bind) by binding and closing a socket on loopback: 3-5 ms that the first invocation would otherwise pay.
 * Also draws a first id and time: the first random bytes and the first read of the performance clock set up their
 * own machinery (0.3-0.7 ms in CPU profiles of the first invocation).
 */
export function warmSegmentSending(): void {
  newId();
  nowSeconds();
  const socket = createSocket('udp4');
  socket.unref();
  socket.once('error', () => socket.close());
  socket.bind(0, '127.0.0.1', () => socket.close());
}

const PROTOCOL_HEADER = '{"format":"json","version":1}\n';

/**
 * Sends documents to the daemon, one datagram each, on a socket of their own that closes once they are out: Lambda
 * freezes the environment between invocations, and a socket kept open across a freeze is what made the SDK give up
 * reusing sockets there. A failure is reported, never thrown: tracing must not fail a request.
 */
export function sendDocuments(
  daemon: DaemonAddress,
  documents: readonly string[],
  onError: (error: Error) => void,
): void {
  if (documents.length === 0) return;
  const socket = createSocket(daemon.host.includes(':') ? 'udp6' : 'udp4');
  socket.unref();
  let open = true;
  const close = () => {
    if (open) socket.close();
    open = false;
  };
  socket.once('error', (error) => {
    onError(error);
    close();
  });
  let pending = documents.length;
  for (const document of documents) {
    socket.send(PROTOCOL_HEADER + document, daemon.port, daemon.host, (error) => {
      if (error) onError(error);
      if (--pending === 0) close();
    });
  }
}
