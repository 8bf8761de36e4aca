import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { plainNodeScript } from './plain-node';

export const REPO_ROOT = path.join(__dirname, '..');

const running = new Set<ChildProcess>();

// A benchmark interrupted half-way must not leave servers holding ports and CPU behind it.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const child of running) child.kill('SIGKILL');
    process.exit(130);
  });
}

/** Spawns a child that is killed when this process exits, however it exits. */
export function spawnTracked(
  command: string,
  args: readonly string[],
  options: Parameters<typeof spawn>[2],
): ChildProcess {
  const child = spawn(command, args, { cwd: REPO_ROOT, ...options });
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

export interface ServerProcess {
  readonly url: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts a server on plain node, as `npm start` runs the twin (a JavaScript launcher, or a TypeScript script bundled
 * first: see plain-node.ts), and waits for the line that names its URL. Its output is read and dropped so that a
 * chatty access log never fills the pipe and stalls the server.
 */
export function startServer(script: string, args: readonly string[], timeoutMs = 60_000): Promise<ServerProcess> {
  const monitor = plainNodeScript(path.join(__dirname, 'event-loop-monitor.ts'));
  const child = spawnTracked(process.execPath, ['--require', monitor, plainNodeScript(script), ...args], {
    // The IPC channel serves only the event-loop monitor (see event-loop-monitor.ts).
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'WARN' },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  return new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => fail(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${script} did not start: ${error.message}\n${stderr}`));
    };
    const onExit = (code: number | null) => fail(new Error(`exited with ${code}`));
    child.once('exit', onExit);
    const onData = (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /on (http:\/\/[^\s]+)/.exec(stdout);
      if (match === null) return;
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      child.stdout?.resume();
      resolve({ url: match[1], child, stop: () => stopChild(child) });
    };
    child.stdout?.on('data', onData);
  });
}

/** SIGTERM, then SIGKILL if the child has not exited within a second. */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 1000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
