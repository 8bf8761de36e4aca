import type { ModelSource } from '../model/model-source';

/** The versions the local server serves, and those of the repository it leaves out (by model name). */
export interface ServedVersions {
  readonly served: ModelSource[];
  readonly unserved: ReadonlyMap<string, readonly string[]>;
}

/**
 * A deploy serves one version per model, the highest, so by default the local server does too and a request for
 * any other version is a 404 in both places; `allVersions` serves every version for local work. This is the local
 * server's choice, not the repository scanner's: synth still sees, checks and reports every version.
 */
export function selectServedVersions(sources: readonly ModelSource[], allVersions: boolean): ServedVersions {
  if (allVersions) return { served: [...sources], unserved: new Map() };
  const highest = new Map<string, ModelSource>();
  for (const source of sources) {
    const current = highest.get(source.name);
    if (current === undefined || Number(source.version) > Number(current.version)) highest.set(source.name, source);
  }
  const unserved = new Map<string, string[]>();
  for (const source of sources) {
    if (highest.get(source.name) === source) continue;
    unserved.set(source.name, [...(unserved.get(source.name) ?? []), source.version]);
  }
  return { served: [...highest.values()], unserved };
}

/**
 * The 404 message for a version the repository holds but the server leaves out: why, and how to serve it locally.
 * Undefined for a version the repository does not hold either, which gets the registry's usual message.
 */
export function unservedVersionMessage(
  versions: ServedVersions,
): (model: string, version: string) => string | undefined {
  return (model, version) => {
    if (!versions.unserved.get(model)?.includes(version)) return undefined;
    const servedVersion = versions.served.find((source) => source.name === model)?.version;
    return (
      `model "${model}" version ${version} is in the repository, but a deploy serves only its highest version, ` +
      `${servedVersion}, and so does the local server by default; start it with --all-versions to serve every version`
    );
  };
}
