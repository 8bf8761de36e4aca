import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { InferenceSession } from 'onnxruntime-node';
import { MANIFEST_FILE, readModelManifest } from '../contract/model-repository';
import { modelSpecOfSession, sessionCreateError } from '../contract/onnx-model-spec';

export interface ModelToCheck {
  readonly name: string;
  readonly version: string;
  /** Path of the version's `model.onnx`; its `model.json`, if any, sits beside it. */
  readonly modelPath: string;
}

/**
 * Opens every model to deploy with the ONNX Runtime in node_modules, as the local server and the functions do, so
 * that a model which would answer 503 on every call fails synth instead. Throws one Error listing each model that
 * cannot serve with the message the local server gives for it.
 */
export async function checkModelsToDeploy(models: readonly ModelToCheck[]): Promise<void> {
  const failures: string[] = [];
  // One at a time: two large models need not sit in memory together for a check.
  for (const model of models) {
    try {
      await checkModel(model);
    } catch (error) {
      failures.push(`  ${model.modelPath}: ${(error as Error).message}`);
    }
  }
  if (failures.length > 0) {
    throw new Error(`cannot deploy ${failures.length} model file(s):\n${failures.join('\n')}`);
  }
}

async function checkModel({ name, version, modelPath }: ModelToCheck): Promise<void> {
  const manifestPath = path.join(path.dirname(modelPath), MANIFEST_FILE);
  try {
    readModelManifest(manifestPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  // From bytes, as the function loads it: a path would let ONNX Runtime read external data files beside it that
  // the deploy does not upload.
  const bytes = await readFile(modelPath);
  let session: InferenceSession;
  try {
    // The runtime's optimisation level, so a graph the optimiser rejects fails here too; errors only, since the
    // runtime's warnings about a graph are not the user's to act on during synth.
    session = await InferenceSession.create(bytes, { graphOptimizationLevel: 'all', logSeverityLevel: 3 });
  } catch (error) {
    throw sessionCreateError(name, version, error);
  }
  try {
    modelSpecOfSession(name, version, session);
  } finally {
    await session.release();
  }
}
