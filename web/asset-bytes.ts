/**
 * A file of the exported bundle, by URL relative to its module: fetched in a browser, read from disk under Node
 * (whose fetch refuses file: URLs). Node's fs is imported only on that path, so a browser never asks for it.
 */
export async function loadBytes(url: URL): Promise<Uint8Array> {
  if (url.protocol === 'file:') {
    const { readFile } = await import('node:fs/promises');
    return new Uint8Array(await readFile(url));
  }
  const response = await fetch(url);
  if (!response.ok) {
    throw new Error(
      `cannot load ${url.href}: ${response.status} ${response.statusText}; serve the whole bundle folder`,
    );
  }
  return new Uint8Array(await response.arrayBuffer());
}
