import { type FSWatcher, watch } from 'node:fs';
import { dirname } from 'node:path';
import { MANIFEST_FILE, MODEL_FILE } from '../../contract/model-repository';
import type { ModelSource } from '../model/model-source';

/** One watcher per served version folder, up to this many: an inotify watch each, and the system's are limited. */
export const MAX_WATCHED_FOLDERS = 64;

/**
 * The local server loads each model once, into memory, and keeps serving that copy: a model file replaced or deleted
 * afterwards changes nothing until a restart, as on AWS, where a deploy makes the change. So that this is not a
 * surprise, a change to a served version's model.onnx or model.json is reported once per version, with what to do.
 * Returns the function that stops watching.
 */
export function watchModelFiles(sources: readonly ModelSource[], warn: (line: string) => void): () => void {
  const watchers: FSWatcher[] = [];
  const reported = new Set<ModelSource>();
  const report = (source: ModelSource) => {
    if (reported.has(source)) return;
    reported.add(source);
    warn(
      `warning: ${dirname(source.location)} changed while serving (its ${MODEL_FILE} or ${MANIFEST_FILE} was ` +
        `replaced, edited or removed); the server keeps serving ${source.name} version ${source.version} as it ` +
        'loaded it at start: restart it to serve the files as they are now',
    );
  };
  for (const source of sources.slice(0, MAX_WATCHED_FOLDERS)) {
    try {
      // Not persistent: watching must never keep a stopped server's process alive.
      const watcher = watch(dirname(source.location), { persistent: false }, (_event, file) => {
        // Some platforms give no file name; a change in the folder may then be one of the two.
        if (file === null || file === MODEL_FILE || file === MANIFEST_FILE) report(source);
      });
      // The folder itself was removed, or the system ran out of watches: the change, if any, was reported.
      watcher.on('error', () => watcher.close());
      watchers.push(watcher);
    } catch (error) {
      warn(`warning: cannot watch ${dirname(source.location)} for changes (${(error as Error).message})`);
    }
  }
  if (sources.length > MAX_WATCHED_FOLDERS) {
    warn(`warning: watching only the first ${MAX_WATCHED_FOLDERS} of ${sources.length} served versions for changes`);
  }
  return () => {
    for (const watcher of watchers) watcher.close();
  };
}
