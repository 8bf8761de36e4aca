import { serveModelInThisThread } from './worker-thread';

// Worker thread entry of the local server (bundled beside it) and of the tests: one model per worker.
void serveModelInThisThread();
