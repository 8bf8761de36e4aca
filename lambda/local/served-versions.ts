import type { ModelSource } from '../model/model-source';
import { matchRoute } from '../protocol/routes';

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
 * For a request to a version the repository holds but the server leaves out: the 404 message that says why and how
 * to serve it locally. Undefined for every other request, which the handler answers as usual.
 */
export function unservedVersionError(method: string, path: string, versions: ServedVersions): string | undefined {
  if (versions.unserved.size === 0) return undefined;
  let route: ReturnType<typeof matchRoute>;
  try {
    route = matchRoute(method, path);
  } catch {
    return undefined;
  }
  if (!('version' in route) || route.version === undefined) return undefined;
  const { model, version } = route;
  if (!versions.unserved.get(model)?.includes(version)) return undefined;
  const servedVersion = versions.served.find((source) => source.name === model)?.version;
  return (
    `model "${model}" version ${version} is in the repository, but a deploy serves only its highest version, ` +
    `${servedVersion}, and so does the local server by default; start it with --all-versions to serve every version`
  );
}
