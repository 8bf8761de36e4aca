/**
 * Cold-start probe for the local twin, run as a fresh process by cold-start.ts: writes a timestamped mark to fd 3
 * after each phase, then serves until killed. Imports are done by hand, in order, so that each phase is timed
 * apart: ONNX Runtime first, then the twin's own modules (which find ONNX Runtime cached).
 */
import { writeSync } from 'node:fs';

function mark(name: string, extra: Record<string, unknown> = {}): void {
  writeSync(3, `${JSON.stringify({ mark: name, at: performance.timeOrigin + performance.now(), ...extra })}\n`);
}

mark('main');
require('onnxruntime-node');
mark('runtime imported');
const twin = require('../lambda/local-server') as typeof import('../lambda/local-server');
mark('handler imported');
void twin.startLocalServer({ port: 0, host: '127.0.0.1', modelsDir: process.argv[2] }).then(({ server }) => {
  const address = server.address();
  mark('model loaded', { port: typeof address === 'object' && address !== null ? address.port : 0 });
});
