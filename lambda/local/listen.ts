import type { Server } from 'node:net';

/**
 * Binds the server, turning the usual failures into messages that say what to do. Called before any model loads,
 * so that a port in use is reported at once instead of after a long load.
 */
export function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(new Error(listenErrorMessage(error, port, host)));
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

function listenErrorMessage(error: NodeJS.ErrnoException, port: number, host: string): string {
  switch (error.code) {
    case 'EADDRINUSE':
      return (
        `port ${port} on ${host} is already in use (another local server?); stop what holds it, or choose another ` +
        `port with --port <n> or PORT=<n> (0 picks a free one)`
      );
    case 'EACCES':
      return `no permission to listen on port ${port}; ports below 1024 need privileges, choose another with --port <n> or PORT=<n>`;
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return `cannot listen on host ${host}: no such address on this machine; use --host 127.0.0.1 (or HOST) or an address of this machine`;
    default:
      return `cannot listen on ${host}:${port} (${error.message})`;
  }
}
