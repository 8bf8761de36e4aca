import * as path from 'node:path';
import { InferenceSession } from 'onnxruntime-node';
import { MANIFEST_FILE, readModelManifest } from '../contract/model-repository';
import { type ModelSpec, openModelSession } from '../contract/onnx-model-spec';
import { readRegularFile } from '../contract/regular-file';
import type { DeploymentConfig, ModelDeployment } from './config';

export interface ModelToCheck {
  readonly name: string;
  readonly version: string;
  /** Path of the version's `model.onnx`; its `model.json`, if any, sits beside it. */
  readonly modelPath: string;
}

/** A model that ONNX Runtime opened, with the inputs and outputs it reported: what its descriptor pins. */
export type CheckedModel<T extends ModelToCheck = ModelToCheck> = T & { readonly spec: ModelSpec };

/**
 * Opens every model to deploy with the ONNX Runtime in node_modules, as the local server and the functions do, so
 * that a model which would answer 503 on every call fails synth instead, and returns each with the spec the session
 * reported. Throws one Error listing each model that cannot serve with the message the local server gives for it.
 */
export async function checkModelsToDeploy<T extends ModelToCheck>(models: readonly T[]): Promise<CheckedModel<T>[]> {
  const failures: string[] = [];
  const checked: CheckedModel<T>[] = [];
  // One at a time: two large models need not sit in memory together for a check.
  for (const model of models) {
    try {
      checked.push({ ...model, spec: await checkModel(model) });
    } catch (error) {
      failures.push(`  ${model.modelPath}: ${(error as Error).message}`);
    }
  }
  if (failures.length > 0) {
    throw new Error(`cannot deploy ${failures.length} model file(s):\n${failures.join('\n')}`);
  }
  return checked;
}

async function checkModel({ name, version, modelPath }: ModelToCheck): Promise<ModelSpec> {
  const manifestPath = path.join(path.dirname(modelPath), MANIFEST_FILE);
  try {
    readModelManifest(manifestPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  // From bytes, as the function loads it: a path would let ONNX Runtime read external data files beside it that
  // the deploy does not upload.
  const bytes = await readRegularFile(modelPath);
  // The runtime's optimisation level, so a graph the optimiser rejects fails here too; errors only, since the
  // runtime's warnings about a graph are not the user's to act on during synth.
  const { session, spec } = await openModelSession(name, version, bytes, (model) =>
    InferenceSession.create(model, { graphOptimizationLevel: 'all', logSeverityLevel: 3 }),
  );
  // The spec of the session that the runtime will open from the same bytes, read the same way: the descriptor pins
  // exactly this, so the runtime's check at load compares like with like.
  await session.release();
  return spec;
}

/** The deployment config once every model was opened: what the stack is built from. */
export interface CheckedDeploymentConfig extends Omit<DeploymentConfig, 'models'> {
  readonly models: readonly CheckedModel<ModelDeployment>[];
}

/**
 * Checks every model of the config (checkModelsToDeploy) and returns the config with each model's spec, from which
 * ModelStore builds the descriptors. The check is asynchronous (ONNX Runtime opens sessions asynchronously) and
 * constructors are not, so it runs here, before the stack, and the stack's props require its result.
 */
export async function checkDeploymentConfig(config: DeploymentConfig): Promise<CheckedDeploymentConfig> {
  return { ...config, models: await checkModelsToDeploy(config.models) };
}
