import { serveModelsInThisThread } from './worker-thread';

// Worker thread entry of the local server (bundled beside it) and of the tests: one pool worker, many models.
serveModelsInThisThread();
