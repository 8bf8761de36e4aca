import { createApiGatewayHandler } from './api-gateway-handler';
import { ModelRegistry } from './model/model-registry';
import { modelSourcesFromEnvironment } from './model/sources-from-environment';
import { logger } from './observability';

const registry = new ModelRegistry(modelSourcesFromEnvironment());

// Start loading during Lambda's init phase, which runs before the first request is billed and with a full CPU
// burst; requests that arrive before it finishes wait for the same load, and a failure is retried by the next one.
void registry.loadAll().then((failures) => {
  for (const { source, error } of failures) {
    logger.error('model load at init failed', { model: source.name, version: source.version, error });
  }
});

/** Lambda entry point: API Gateway REST proxy event in, proxy result out. */
export const handler = createApiGatewayHandler(registry);
