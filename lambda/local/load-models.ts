import { stat } from 'node:fs/promises';
import type { ModelRegistry } from '../model/model-registry';
import type { ModelSource } from '../model/model-source';
import { logger } from '../observability';

/**
 * Loads every served model, printing a line as each one is ready (name, version, size, seconds): a big model can
 * take a while, and a silent console would look like a hang. Throws one Error listing every model that failed.
 */
export async function loadModels(
  registry: ModelRegistry,
  sources: readonly ModelSource[],
  url: string,
  print: (line: string) => void,
): Promise<void> {
  const sizes = await Promise.all(sources.map((source) => fileSize(source.location)));
  const total = sizes.reduce<number>((sum, size) => sum + (size ?? 0), 0);
  print(`loading ${sources.length} model version(s), ${formatBytes(total)}, for ${url} ...`);
  const started = performance.now();
  // The registry logs a failed load as a JSON error with a stack trace; here the failures are reported once, in
  // words, by the error this function throws. Only for the startup load: later failures are logged as usual.
  const level = logger.getLevelName();
  logger.setLogLevel('SILENT');
  try {
    await loadEach(registry, sources, sizes, started, print);
  } finally {
    logger.setLogLevel(level);
  }
}

async function loadEach(
  registry: ModelRegistry,
  sources: readonly ModelSource[],
  sizes: readonly (number | undefined)[],
  started: number,
  print: (line: string) => void,
): Promise<void> {
  // One load per model version: the registry shares a load in flight, so the per-version waits below attach to the
  // loads that loadAll starts instead of starting their own.
  const all = registry.loadAll();
  await Promise.all(
    sources.map(async (source, index) => {
      const ready = await registry.tryLoad(source.name, source.version);
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      const size = sizes[index];
      const what = `${source.name} version ${source.version}${size === undefined ? '' : ` (${formatBytes(size)})`}`;
      print(ready ? `  loaded ${what} in ${seconds} s` : `  failed ${what} after ${seconds} s`);
    }),
  );
  const failures = await all;
  if (failures.length > 0) {
    const lines = failures.map(({ source, error }) => `  ${source.location}: ${error.message}`);
    throw new Error(`cannot load ${failures.length} model file(s):\n${lines.join('\n')}`);
  }
}

async function fileSize(location: string): Promise<number | undefined> {
  try {
    return (await stat(location)).size;
  } catch {
    return undefined;
  }
}

export function formatBytes(bytes: number): string {
  if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(1)} kB`;
  if (bytes < 1_000_000_000) return `${(bytes / 1_000_000).toFixed(1)} MB`;
  return `${(bytes / 1_000_000_000).toFixed(2)} GB`;
}
