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

/** Manifests by `<name>/<version>`. */
export type Manifests = ReadonlyMap<string, ModelManifest>;

/**
 * The manifests of the served versions, read once: like the model files, a model.json edited while the server runs
 * changes nothing until a restart, so the page never describes a model other than the one that answers.
 */
export function readManifests(sources: readonly ModelSource[]): Manifests {
  return new Map(sources.map((source) => [`${source.name}/${source.version}`, manifestBeside(source.location)]));
}

/** The served models as the playground lists them. Waits for each model's load, as an API request would. */
export async function playgroundModels(registry: ModelRegistry, manifests: Manifests): Promise<PlaygroundModel[]> {
  return Promise.all(
    registry.modelNames.map(async (name): Promise<PlaygroundModel> => {
      const versions = registry.versionsOf(name);
      const version = registry.servedVersion(name);
      const manifest = manifests.get(`${name}/${version}`) ?? {};
      try {
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

/** The local repository keeps a version's model.json beside its model.onnx; the scan at start has checked it. */
function manifestBeside(modelPath: string): ModelManifest {
  const manifestPath = path.join(path.dirname(modelPath), MANIFEST_FILE);
  return existsSync(manifestPath) ? readModelManifest(manifestPath) : {};
}
