import * as fs from 'node:fs';

/**
 * Reads model files (model.onnx, model.json, descriptor.json) only when they are regular files. Opening a FIFO for
 * reading blocks until a writer appears, so a FIFO named model.onnx would hang the local server, synth or a
 * function's init forever; a character device such as /dev/zero would be read until memory runs out. The file is
 * opened non-blocking (which changes nothing for a regular file) and checked through the open descriptor after
 * symbolic links are followed, so a swap between a check and the open cannot slip past it.
 */

// Windows has no O_NONBLOCK (and no FIFOs in the file system), so the flag is simply left out there.
const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0);

/** What a non-regular file is, in words: `a FIFO (named pipe)`, `a directory` ... */
export function fileKind(stats: fs.Stats): string {
  if (stats.isFile()) return 'a regular file';
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  return 'a special file';
}

function notRegularFile(filePath: string, stats: fs.Stats): Error {
  return new Error(
    `${filePath} is ${fileKind(stats)}, not a regular file, and is not read: replace it with the file itself or a link to it`,
  );
}

/** The bytes of a regular file; throws, without reading, for anything else. Open errors (ENOENT ...) pass through. */
export async function readRegularFile(filePath: string): Promise<Buffer> {
  const handle = await fs.promises.open(filePath, OPEN_FLAGS);
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw notRegularFile(filePath, stats);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** readRegularFile for synchronous callers (the repository scan and synth's manifest reads). */
export function readRegularFileSync(filePath: string): Buffer {
  const fd = fs.openSync(filePath, OPEN_FLAGS);
  try {
    const stats = fs.fstatSync(fd);
    if (!stats.isFile()) throw notRegularFile(filePath, stats);
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
