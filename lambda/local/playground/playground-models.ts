import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { MANIFEST_FILE, type ModelManifest, readModelManifest } from '../../../contract/model-repository';
import type { TensorSpec } from '../../../contract/onnx-model-spec';
import type { ModelRegistry } from '../../model/model-registry';
import type { ModelSource } from '../../model/model-source';
import { type PlaygroundForm, playgroundForm } from './playground-form';

/** One card of the playground: what the model is, and how to ask it something. */
export interface PlaygroundModel {
  readonly name: string;
  /** Every version served, lowest first; the form is for the last one, which serves by default. */
  readonly versions: readonly string[];
  readonly description?: string;
  /** Class labels, for showing probabilities by name. */
  readonly labels?: readonly string[];
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  readonly form?: PlaygroundForm;
  /** Why the model has no form: it cannot be loaded right now. */
  readonly error?: string;
}

/**
 * The served models as the playground lists them. Waits for each model's load, as an API request would; the
 * manifest is read from beside the model file, where the local repository keeps it.
 */
export async function playgroundModels(
  registry: ModelRegistry,
  sources: readonly ModelSource[],
): Promise<PlaygroundModel[]> {
  return Promise.all(
    registry.modelNames.map(async (name): Promise<PlaygroundModel> => {
      const versions = registry.versionsOf(name);
      const version = registry.servedVersion(name);
      try {
        const source = sources.find((candidate) => candidate.name === name && candidate.version === version);
        // Inside the try: a manifest broken since the start is this model's problem, shown on its card.
        const manifest = source === undefined ? {} : manifestBeside(source.location);
        const { spec } = await registry.get(name, version);
        return {
          name,
          versions,
          ...(manifest.description !== undefined && { description: manifest.description }),
          ...(manifest.labels !== undefined && { labels: manifest.labels }),
          inputs: spec.inputs,
          outputs: spec.outputs,
          form: playgroundForm(spec.inputs, manifest),
        };
      } catch (error) {
        return { name, versions, inputs: [], outputs: [], error: (error as Error).message };
      }
    }),
  );
}

function manifestBeside(modelPath: string): ModelManifest {
  const manifestPath = path.join(path.dirname(modelPath), MANIFEST_FILE);
  return existsSync(manifestPath) ? readModelManifest(manifestPath) : {};
}
