import * as fs from 'node:fs';
import * as path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Baseline } from '../../../../contract/baseline';
import type { CapturedBody } from '../../../../contract/capture';
import { CaptureWriterEnvironment } from '../../../../contract/environment';
import {
  buildModelDescriptor,
  type ModelDescriptor,
  serializeModelDescriptor,
  sha256Hex,
} from '../../../../contract/model-descriptor';
import { type ModelManifest, parseModelManifest } from '../../../../contract/model-repository';
import { type ApiGatewayHandler, createApiGatewayHandler } from '../../../../lambda/api-gateway-handler';
import { ModelRegistry } from '../../../../lambda/model/model-registry';
import { modelSourcesFromFolder } from '../../../../lambda/model/model-source';
import { onnxBackends } from '../../../../lambda/model/onnx-backend';
import { loadOnnxModel } from '../../../../lambda/model/onnx-model';
import { buildBaseline } from '../../../../lambda/monitoring/baseline-builder';
import { type CaptureSettings, captureLogWriter, withCapture } from '../../../../lambda/monitoring/capture-sampling';
import { createCaptureWriter } from '../../../../lambda/monitoring/capture-writer';
import { decodeCapturedResponse } from '../../../../lambda/monitoring/captured-tensors';
import { feedbackLogSink } from '../../../../lambda/monitoring/feedback';
import { PENGUIN_FEATURES, PENGUIN_SPECIES } from '../../../../scripts/train/penguins-data';
import { apiGatewayEvent, lambdaContext } from '../../../support/api-gateway-events';
import { DEMO_MODELS } from '../../../support/demo-models';
import { putObjectAndWait } from '../../../support/s3-put';
import { cloudWatchLogsEvent } from '../../shadow/shadow-fixtures';

/**
 * The demo penguins served by the real runtime handler with capture on (every request) and the feedback route, as a
 * deployed function runs them: what it logs are the capture and feedback lines CloudWatch Logs would hand the writer.
 */
export class PenguinTraffic {
  private readonly registry = new ModelRegistry(
    onnxBackends(
      modelSourcesFromFolder(DEMO_MODELS).filter((source) => source.name === 'penguins'),
      loadOnnxModel,
    ),
  );
  private readonly lines: string[] = [];
  private readonly plain: ApiGatewayHandler = createApiGatewayHandler(this.registry);
  private readonly capturing: ApiGatewayHandler;

  /** `settings`: the capture settings, as the function reads them from its environment. @default every request */
  constructor(settings: CaptureSettings = { sampleRate: 1, dropFields: [], hashFields: [], hashSalt: '' }) {
    this.capturing = withCapture(
      createApiGatewayHandler(this.registry, { feedback: feedbackLogSink((line) => this.lines.push(line)) }),
      settings,
      {
        write: captureLogWriter((line) => this.lines.push(line)),
        defer: (work) => work(),
        // Every draw under the rate: each request is captured whatever the rate.
        random: () => 0,
        servedVersion: () => '1',
        features: () => PENGUIN_FEATURES,
      },
    );
  }

  release(): Promise<void> {
    return this.registry.release();
  }

  /** One request per row, each with its own `id`. */
  async infer(rows: readonly (readonly number[])[], idPrefix: string): Promise<void> {
    for (const [index, row] of rows.entries()) {
      const result = await this.capturing(inferEvent([row], `${idPrefix}-${index}`), lambdaContext);
      if (result.statusCode !== 200) throw new Error(`inference answered ${result.statusCode}: ${result.body}`);
    }
  }

  /** The true species of each row, sent to the feedback route. */
  async feedback(species: readonly number[], idPrefix: string): Promise<void> {
    for (const [index, label] of species.entries()) {
      const result = await this.capturing(
        apiGatewayEvent({
          method: 'POST',
          path: '/v2/models/penguins/feedback',
          body: { id: `${idPrefix}-${index}`, label: PENGUIN_SPECIES[label] },
        }),
        lambdaContext,
      );
      if (result.statusCode !== 200) throw new Error(`feedback answered ${result.statusCode}: ${result.body}`);
    }
  }

  /** The capture and feedback lines logged since the last call, as CloudWatch Logs would hand them on. */
  takeLines(): string[] {
    return this.lines.splice(0);
  }

  /** Hands every line logged so far to the real capture writer, as one CloudWatch Logs batch, into `bucket`. */
  async deliver(s3: S3Client, bucket: string): Promise<number> {
    const lines = this.takeLines();
    const writer = createCaptureWriter({ s3, environment: { [CaptureWriterEnvironment.bucket]: bucket } });
    const { objects } = await writer(cloudWatchLogsEvent(lines));
    return objects.reduce((sum, object) => sum + object.records, 0);
  }

  /** The penguins model.json with a baseline of `rows` (the training rows) and the model's own answers on them. */
  async manifestWithBaseline(rows: readonly (readonly number[])[]): Promise<ModelManifest & { baseline: Baseline }> {
    const manifestPath = path.join(DEMO_MODELS, 'penguins', '1', 'model.json');
    const { baseline: _baseline, ...manifest } = parseModelManifest(
      fs.readFileSync(manifestPath, 'utf8'),
      manifestPath,
    );
    const bare = buildModelDescriptor(PENGUINS_SPEC, penguinsArtifact(), manifest);
    const answer = await this.plain(inferEvent(rows, 'training'), lambdaContext);
    const response: CapturedBody = { contentType: 'application/json', json: JSON.parse(answer.body) as unknown };
    const baseline = buildBaseline(bare, [
      {
        inputs: [{ name: 'features', datatype: 'FP32', shape: [rows.length, 4], data: Float32Array.from(rows.flat()) }],
        outputs: decodeCapturedResponse(bare, response),
      },
    ]);
    return { ...manifest, baseline };
  }

  /**
   * The penguins descriptor with manifestWithBaseline, put content-addressed into the model bucket as synth does;
   * returns its key and sha256.
   */
  async putDescriptor(
    s3: S3Client,
    bucket: string,
    rows: readonly (readonly number[])[],
  ): Promise<{ readonly descriptor: ModelDescriptor; readonly key: string; readonly sha256: string }> {
    const descriptor = buildModelDescriptor(PENGUINS_SPEC, penguinsArtifact(), await this.manifestWithBaseline(rows));
    const json = serializeModelDescriptor(descriptor);
    const sha256 = sha256Hex(json);
    const key = `models/penguins/1/${sha256}.json`;
    await putObjectAndWait(s3, bucket, key, json);
    return { descriptor, key, sha256 };
  }
}

/** The demo penguins' inputs and outputs, as ONNX Runtime reports them. */
const PENGUINS_SPEC = {
  name: 'penguins',
  version: '1',
  inputs: [{ name: 'features', datatype: 'FP32' as const, shape: [-1, 4] }],
  outputs: [
    { name: 'label', datatype: 'BYTES' as const, shape: [-1] },
    { name: 'probabilities', datatype: 'FP32' as const, shape: [-1, 3] },
  ],
};

function penguinsArtifact() {
  const bytes = fs.readFileSync(path.join(DEMO_MODELS, 'penguins', '1', 'model.onnx'));
  return { sha256: sha256Hex(bytes), sizeBytes: bytes.byteLength };
}

function inferEvent(rows: readonly (readonly number[])[], id: string) {
  return apiGatewayEvent({
    method: 'POST',
    path: '/v2/models/penguins/infer',
    body: { id, inputs: [{ name: 'features', shape: [rows.length, 4], datatype: 'FP32', data: rows }] },
  });
}
