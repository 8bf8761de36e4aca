import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';

/**
 * Stack traces that point at lambda/*.ts lines instead of the minified bundle, with the bundle's source map read
 * only when a stack is first formatted. Node's --enable-source-maps maps the same way but reads the map of every
 * module at its import, onnxruntime's own included: 11 ms of each cold start's init, for stacks that a healthy
 * function never formats. Function names stay as minified; file, line and column are the original ones.
 */
export function mapStacksOfBundle(bundleUrl: string): void {
  const bundleFile = new URL(bundleUrl);
  let map: SourceMap | null | undefined;
  const sourceMap = (): SourceMap | null => {
    if (map === undefined) {
      try {
        map = new SourceMap(JSON.parse(readFileSync(new URL(`${bundleFile.href}.map`), 'utf8')));
      } catch {
        // No map beside the bundle (built without one): stacks stay as they are.
        map = null;
      }
    }
    return map;
  };
  Error.prepareStackTrace = (error: unknown, callSites: NodeJS.CallSite[]) => {
    const frames = callSites.map((site) => `\n    at ${mappedFrame(site, bundleUrl, sourceMap)}`).join('');
    return `${errorHeader(error)}${frames}`;
  };
}

/** The first line V8 writes for an error: `Name: message`, or whatever the thrown value's toString gives. */
function errorHeader(error: unknown): string {
  try {
    return String(error);
  } catch {
    return '<error>';
  }
}

/** V8's own text for the frame, with the bundle's position replaced by the original file, line and column. */
function mappedFrame(site: NodeJS.CallSite, bundleUrl: string, sourceMap: () => SourceMap | null): string {
  const text = site.toString();
  const line = site.getLineNumber();
  const column = site.getColumnNumber();
  if (site.getFileName() !== bundleUrl || line === null || column === null) return text;
  const entry = sourceMap()?.findEntry(line - 1, column - 1);
  if (entry === undefined || !('originalSource' in entry)) return text;
  const position = `${bundleUrl}:${line}:${column}`;
  const original = `${entry.originalSource}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  const at = text.lastIndexOf(position);
  return at < 0 ? text : `${text.slice(0, at)}${original}${text.slice(at + position.length)}`;
}
