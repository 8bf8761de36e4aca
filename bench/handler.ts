import type { APIGatewayProxyEvent } from 'aws-lambda';
import { createApiGatewayHandler } from '../lambda/api-gateway-handler';
import { ModelRegistry } from '../lambda/model/model-registry';
import { modelSourcesFromFolder } from '../lambda/model/sources-from-environment';
import { apiGatewayEvent, lambdaContext } from '../test/support/api-gateway-events';
import { BENCH_MODELS, type BenchCase } from './cases';

/**
 * The handler path as Lambda runs it: one registry like lambda/handler.ts builds (sessions on the calling thread),
 * a realistic REST proxy event per case built in advance, and every call checked for a 200.
 */
export async function handlerRunners(
  cases: readonly BenchCase[],
): Promise<{ runners: Map<BenchCase, () => Promise<unknown>>; release: () => Promise<void> }> {
  const registry = new ModelRegistry(modelSourcesFromFolder(BENCH_MODELS));
  const failures = await registry.loadAll();
  if (failures.length > 0) throw new Error(`handler bench cannot load models: ${failures[0].error.message}`);
  const handler = createApiGatewayHandler(registry);
  const runners = new Map<BenchCase, () => Promise<unknown>>();
  for (const benchCase of cases) {
    const event: APIGatewayProxyEvent = apiGatewayEvent({ method: 'POST', path: benchCase.path, body: benchCase.body });
    runners.set(benchCase, async () => {
      const result = await handler(event, lambdaContext);
      if (result.statusCode !== 200) {
        throw new Error(`handler answered ${result.statusCode} for ${benchCase.label}: ${result.body.slice(0, 300)}`);
      }
      return result;
    });
  }
  return { runners, release: () => registry.release() };
}
