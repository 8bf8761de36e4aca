import type { Backend, BackendChoice } from '../contract/backends';
import { SERVERLESS_MEMORY_SIZES_MB } from './constructs/sagemaker-endpoint';

const MiB = 1024 * 1024;

const SERVERLESS_MAX_MEMORY_MB = Math.max(...SERVERLESS_MEMORY_SIZES_MB);

/** Lambda's largest memory setting, for zip and image functions alike. */
export const LAMBDA_MAX_MEMORY_MIB = 10_240;

/**
 * The numbers behind `auto`, each with where it comes from. A zip function downloads its model from S3 and opens it
 * during Lambda's init phase, which on-demand environments must finish within 10 s (a longer init is retried inside
 * the first invocation, doubling that cold start). An image function reads the model from its own image instead.
 */
export const BACKEND_RULE = {
  /** Lambda's init phase limit for on-demand environments. */
  initLimitMs: 10_000,
  /**
   * Init time left for the model once Node.js has started, the bundle is imported and ONNX Runtime's native library
   * is loaded: 2 s kept for those (the zip handler's init is about 1 s on a warm-cache laptop).
   */
  modelInitBudgetMs: 8_000,
  /**
   * S3 GetObject throughput of a single stream into a Lambda function: 50 MB/s, a conservative figure (not
   * measurable without AWS; single-stream downloads into Lambda are commonly reported at 50-100 MB/s).
   */
  s3DownloadMsPerMiB: 20,
  /** sha256 of the downloaded bytes before serving: 0.53 ms/MiB measured with node:crypto on 200 MiB. */
  sha256MsPerMiB: 0.5,
  /**
   * ONNX Runtime session creation from bytes (graphOptimizationLevel all): 1.5 ms/MiB measured with
   * onnxruntime-node 1.30 on the bench's 48 MiB wide MLP (72 ms), and under 2 ms for the demo models (12 KiB and
   * 400 KiB, fixed cost dominated), on a shared x64 machine. Times 3 for a 1,769 MiB function's single Graviton vCPU,
   * which was not measured here.
   */
  sessionMsPerMiB: 4.5,
  /** Memory a function needs: ONNX Runtime holds the bytes and the optimised graph (about 3x the file) plus Node. */
  memoryPerModelMiB: 3,
  memoryOverheadMiB: 512,
  /** 1,769 MiB is exactly one full vCPU: inference is CPU-bound, and less memory buys a fraction of a core. */
  minimumMemoryMiB: 1769,
} as const;

/** Estimated init time a zip function spends downloading, verifying and opening a model of this size. */
export function zipModelInitMs(sizeBytes: number): number {
  const { s3DownloadMsPerMiB, sha256MsPerMiB, sessionMsPerMiB } = BACKEND_RULE;
  return (sizeBytes / MiB) * (s3DownloadMsPerMiB + sha256MsPerMiB + sessionMsPerMiB);
}

/** The largest model `auto` serves from a zip function: its download, check and session fit the init budget. */
export const ZIP_MAX_MODEL_BYTES = Math.floor(
  (BACKEND_RULE.modelInitBudgetMs /
    (BACKEND_RULE.s3DownloadMsPerMiB + BACKEND_RULE.sha256MsPerMiB + BACKEND_RULE.sessionMsPerMiB)) *
    MiB,
);

/** Memory a function serving this model needs: 3x the model plus 512 MiB, at least one full vCPU. */
export function requiredMemoryMiB(sizeBytes: number): number {
  const { memoryPerModelMiB, memoryOverheadMiB, minimumMemoryMiB } = BACKEND_RULE;
  return Math.max(minimumMemoryMiB, Math.ceil((memoryPerModelMiB * sizeBytes) / MiB) + memoryOverheadMiB);
}

/** The largest model a Lambda function (zip or image) can hold: 3x the model plus 512 MiB within 10,240 MiB. */
export const LAMBDA_MAX_MODEL_BYTES = Math.floor(
  ((LAMBDA_MAX_MEMORY_MIB - BACKEND_RULE.memoryOverheadMiB) / BACKEND_RULE.memoryPerModelMiB) * MiB,
);

/** The one-line rule, as the synth output and the README state it. */
export const AUTO_RULE =
  `auto: lambda up to ${mib(ZIP_MAX_MODEL_BYTES)} (S3 download ${BACKEND_RULE.s3DownloadMsPerMiB} ms/MiB + sha256 ` +
  `${BACKEND_RULE.sha256MsPerMiB} ms/MiB + session ${BACKEND_RULE.sessionMsPerMiB} ms/MiB within ` +
  `${BACKEND_RULE.modelInitBudgetMs / 1000} s of Lambda's ${BACKEND_RULE.initLimitMs / 1000} s init), ` +
  `lambda-image up to ${mib(LAMBDA_MAX_MODEL_BYTES)} (memory 3x model + 512 MiB within ${LAMBDA_MAX_MEMORY_MIB} MiB), ` +
  'sagemaker above';

export interface BackendDecision {
  readonly backend: Backend;
  /** Why, with the numbers: printed at synth. */
  readonly reason: string;
}

/**
 * Resolves `auto` from the model's size. An explicit backend is kept as given; whether the model fits it is checked
 * by the construct that builds it (ServedModel), which knows the memory setting too.
 */
export function chooseBackend(choice: BackendChoice, sizeBytes: number): BackendDecision {
  const size = mib(sizeBytes);
  if (choice !== 'auto') return { backend: choice, reason: `backend "${choice}" set in the configuration (${size})` };
  if (sizeBytes <= ZIP_MAX_MODEL_BYTES) {
    const initMs = Math.round(zipModelInitMs(sizeBytes));
    return { backend: 'lambda', reason: `auto chose lambda: ${size}, about ${initMs} ms of model init (${AUTO_RULE})` };
  }
  if (sizeBytes <= LAMBDA_MAX_MODEL_BYTES) {
    return {
      backend: 'lambda-image',
      reason: `auto chose lambda-image: ${size} is over the zip function's init budget (${AUTO_RULE})`,
    };
  }
  return {
    backend: 'sagemaker',
    // Also more than serverless SageMaker's largest memory size holds: such a model needs an instance type.
    reason:
      `auto chose sagemaker: ${size} needs more than Lambda's ${LAMBDA_MAX_MEMORY_MIB} MiB and a serverless ` +
      `endpoint's ${SERVERLESS_MAX_MEMORY_MB} MB, so it runs on the instance type of its sagemaker settings ` +
      `(instanceType) (${AUTO_RULE})`,
  };
}

function mib(bytes: number): string {
  return bytes < MiB ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / MiB).toFixed(1)} MiB`;
}
