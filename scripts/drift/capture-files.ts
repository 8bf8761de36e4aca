import * as fs from 'node:fs';
import * as path from 'node:path';

/** The capture files of one model version, in time order (by partition, then file name). */
export interface CapturedVersion {
  readonly model: string;
  readonly version: string;
  readonly files: readonly string[];
}

export interface CaptureFilter {
  readonly model?: string;
  readonly version?: string;
  /** Partitions of hours wholly before this time are not read at all. */
  readonly since?: Date;
}

/**
 * Lists a local capture folder in the layout of contract/capture.ts:
 * `<dir>/captures/model=<m>/version=<v>/date=<YYYY-MM-DD>/hour=<HH>/<writer>.jsonl`. The folder may also be the
 * `captures` folder itself. Throws, saying what was expected, when it holds no captures.
 */
export function listCapturedVersions(captureDir: string, filter: CaptureFilter = {}): CapturedVersion[] {
  if (!fs.existsSync(captureDir)) {
    throw new Error(`capture folder ${captureDir} does not exist; capture with npm start -- --capture ${captureDir}`);
  }
  const nested = path.join(captureDir, 'captures');
  const root = fs.existsSync(nested) ? nested : captureDir;
  const sinceHour = filter.since === undefined ? undefined : filter.since.toISOString().slice(0, 13);
  const versions: CapturedVersion[] = [];
  for (const model of partitions(root, 'model')) {
    if (filter.model !== undefined && model.value !== filter.model) continue;
    for (const version of partitions(model.path, 'version')) {
      if (filter.version !== undefined && version.value !== filter.version) continue;
      const files: string[] = [];
      for (const date of partitions(version.path, 'date')) {
        for (const hour of partitions(date.path, 'hour')) {
          // "YYYY-MM-DDTHH" compares as text in time order, so an hour before --since is skipped unread.
          if (sinceHour !== undefined && `${date.value}T${hour.value}` < sinceHour) continue;
          for (const file of sortedEntries(hour.path)) {
            if (file.isFile() && file.name.endsWith('.jsonl')) files.push(path.join(hour.path, file.name));
          }
        }
      }
      versions.push({ model: model.value, version: version.value, files });
    }
  }
  if (versions.length === 0) {
    const which =
      filter.model === undefined
        ? ''
        : ` for model "${filter.model}"${filter.version === undefined ? '' : ` version ${filter.version}`}`;
    throw new Error(
      `no captures${which} in ${root}: expected folders model=<name>/version=<v>/date=<YYYY-MM-DD>/hour=<HH>/ ` +
        'holding .jsonl files, as npm start -- --capture <dir> writes them',
    );
  }
  return versions;
}

/** The `<key>=<value>` sub-folders of a folder, sorted by value. */
function partitions(folder: string, key: string): { readonly value: string; readonly path: string }[] {
  return sortedEntries(folder)
    .filter((entry) => entry.isDirectory() && entry.name.startsWith(`${key}=`))
    .map((entry) => ({ value: entry.name.slice(key.length + 1), path: path.join(folder, entry.name) }));
}

function sortedEntries(folder: string): fs.Dirent[] {
  return fs
    .readdirSync(folder, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
}
