import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { type ApiGatewayHandler, createApiGatewayHandler } from '../api-gateway-handler';
import { localLambdaContext } from '../local/api-gateway-event';
import { ModelRegistry } from '../model/model-registry';
import type { ModelSource } from '../model/model-source';
import { onnxBackends } from '../model/onnx-backend';
import { loadOnnxModelInWorker } from '../model/worker-model';
import { replaySample } from './replay-sample';
import { ShadowMetrics } from './shadow-metrics';
import type { ShadowOption } from './shadow-option';
import { shadowSample } from './shadow-sample';

interface Candidate extends ShadowOption {
  readonly handler: ApiGatewayHandler;
  readonly metrics: ShadowMetrics;
}

/**
 * The sources without the shadow candidates: a candidate is not served live. Throws an Error when a candidate is
 * the only version of its model, which would leave nothing live to compare it with.
 */
export function liveSources<T extends ModelSource>(sources: readonly T[], options: readonly ShadowOption[]): T[] {
  const isCandidate = (s: ModelSource) => options.some((o) => o.model === s.name && o.version === s.version);
  for (const option of options) {
    const versions = sources.filter((s) => s.name === option.model);
    // A model or version that does not exist at all is reported by LocalShadow.start, with the versions there are.
    if (versions.some(isCandidate) && versions.every(isCandidate)) {
      throw new Error(
        `--shadow ${option.model}=${option.version}: model ${option.model} has no other version to serve live; add the live version beside it or drop --shadow`,
      );
    }
  }
  return sources.filter((s) => !isCandidate(s));
}

const INFER_PATH = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?\/infer$/;

/**
 * Shadow testing in the local twin: each candidate runs in this process with its own registry (it is not served,
 * as a deploy does not serve it), and a sampled request is replayed against it only after the live answer has been
 * sent. The agreement is computed as the comparator computes it and printed as the same EMF metric lines.
 */
export class LocalShadow {
  private constructor(
    private readonly candidates: readonly Candidate[],
    private readonly registry: ModelRegistry,
    private readonly random: () => number,
  ) {}

  /** Loads every candidate; throws an Error naming a candidate that is not in the repository or cannot load. */
  static async start(
    sources: readonly ModelSource[],
    options: readonly ShadowOption[],
    print: (line: string) => void,
    random: () => number = Math.random,
  ): Promise<LocalShadow> {
    const picked = options.map((option) => {
      const source = sources.find((s) => s.name === option.model && s.version === option.version);
      if (source === undefined) {
        const versions = sources.filter((s) => s.name === option.model).map((s) => s.version);
        throw new Error(
          `--shadow ${option.model}=${option.version}: ${versions.length === 0 ? `there is no model ${option.model}` : `model ${option.model} has no version ${option.version} (versions: ${versions.join(', ')})`}; name a version folder of the repository`,
        );
      }
      return source;
    });
    const registry = new ModelRegistry(onnxBackends(picked, loadOnnxModelInWorker));
    const failures = await registry.loadAll();
    if (failures.length > 0) {
      await registry.release();
      const [{ source, error }] = failures;
      throw new Error(`shadow candidate ${source.name} version ${source.version} cannot be loaded: ${error.message}`);
    }
    const handler = createApiGatewayHandler(registry);
    const candidates = options.map((option) => ({
      ...option,
      handler,
      metrics: new ShadowMetrics(option.model, option.version, undefined, print),
    }));
    for (const { model, version, sampleRate } of options) {
      print(`shadow: ${Math.round(sampleRate * 1000) / 10} % of ${model} inferences also go to version ${version}`);
    }
    return new LocalShadow(candidates, registry, random);
  }

  /**
   * Call once the live answer has gone to the client: replays a sampled successful inference against its model's
   * candidate and prints the metrics. Never throws and is not awaited: nothing here can delay or fail a live request.
   */
  afterAnswer(event: APIGatewayProxyEvent, result: APIGatewayProxyResult): Promise<void> {
    const match = INFER_PATH.exec(event.path);
    if (result.statusCode !== 200 || event.httpMethod !== 'POST' || match === null) return Promise.resolve();
    const candidate = this.candidates.find((c) => c.model === match[1] && c.version !== match[2]);
    if (candidate === undefined || this.random() >= candidate.sampleRate) return Promise.resolve();
    const sample = shadowSample(event, result, event.requestContext.requestId);
    const invoke = (candidateEvent: APIGatewayProxyEvent) => candidate.handler(candidateEvent, localLambdaContext());
    return replaySample(sample, candidate.version, invoke).then(
      (outcome) => {
        if (outcome !== undefined) candidate.metrics.publish(outcome);
      },
      () => undefined,
    );
  }

  release(): Promise<void> {
    return this.registry.release();
  }
}
