// An ES module (.mts), bundled as such (lib/constructs/inference-function.ts), for one reason: top-level await.
// Lambda awaits the module's evaluation as part of its init phase, so the model is downloaded, verified and turned
// into a session before init ends: the reported init duration includes it, provisioned concurrency is frozen with
// the session ready, and the first request only runs the model.
import { createApiGatewayHandler } from './api-gateway-handler.js';
import { ModelRegistry } from './model/model-registry.js';
import { modelSourcesFromEnvironment } from './model/sources-from-environment.js';

const registry = new ModelRegistry(modelSourcesFromEnvironment());

// A failed load does not fail init (that would leave Lambda retrying init with no answer to send): loadAll never
// throws, the registry logs the failure, and requests answer 503 with Retry-After until a retry succeeds.
await registry.loadAll();

/** Lambda entry point: API Gateway REST proxy event in, proxy result out. */
export const handler = createApiGatewayHandler(registry);
