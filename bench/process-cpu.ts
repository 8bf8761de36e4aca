import * as fs from 'node:fs';

/** CPU time a process has used so far, in milliseconds: all its threads, and its main thread alone. */
export interface ProcessCpu {
  readonly processMs: number;
  readonly mainThreadMs: number;
}

/** Linux's clock ticks per second for /proc times (USER_HZ), which is 100 on every architecture Linux ships. */
const TICKS_PER_SECOND = 100;

/**
 * Reads a process's CPU time from /proc (Linux). Undefined elsewhere, or when the process is gone: the bench then
 * reports throughput without the CPU it cost. Per thread, because a server's other threads can do much of its work:
 * ONNX Runtime's default intra-op pool spins on a core of its own while the main thread serves requests.
 */
export function processCpu(pid: number | undefined): ProcessCpu | undefined {
  if (pid === undefined) return undefined;
  try {
    return {
      processMs: cpuMs(fs.readFileSync(`/proc/${pid}/stat`, 'utf8')),
      mainThreadMs: cpuMs(fs.readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8')),
    };
  } catch {
    return undefined;
  }
}

/** utime + stime (fields 14 and 15 of proc(5)'s stat line), counted after the command name, which may hold spaces. */
function cpuMs(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields after ")" start at the state, field 3: utime is field 14, stime field 15.
  return ((Number(fields[14 - 3]) + Number(fields[15 - 3])) * 1000) / TICKS_PER_SECOND;
}
