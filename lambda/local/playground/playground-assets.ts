import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/** The files of the page, by the name they are served under (`/playground/<name>`), with their content types. */
export const ASSET_TYPES: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'playground.css': 'text/css; charset=utf-8',
  'playground.js': 'text/javascript; charset=utf-8',
  'dom.js': 'text/javascript; charset=utf-8',
  'model-card.js': 'text/javascript; charset=utf-8',
  'drawing-pad.js': 'text/javascript; charset=utf-8',
  'answer-view.js': 'text/javascript; charset=utf-8',
  'latency-chart.js': 'text/javascript; charset=utf-8',
};

/**
 * Where the assets are: beside this file when it runs from source (jest, tsx), or back in the repository when it runs
 * from the bundle `npm start` builds into node_modules/.cache/model-endpoint (plain files, so that editing the page
 * needs no rebuild).
 */
function assetsFolder(): string {
  const candidates = [
    path.join(__dirname, 'assets'),
    path.join(__dirname, '..', '..', '..', 'lambda', 'local', 'playground', 'assets'),
  ];
  const found = candidates.find((candidate) => existsSync(path.join(candidate, 'index.html')));
  if (found === undefined) {
    throw new Error(
      `the playground's page is missing: looked in ${candidates.join(' and ')}; restore lambda/local/playground/assets`,
    );
  }
  return found;
}

/**
 * Reads every asset on first use and keeps them: a missing page breaks the page's routes (a 500 that says what is
 * missing, in the server's log), never the API beside it.
 */
export function assetReader(): () => ReadonlyMap<string, Buffer> {
  let assets: ReadonlyMap<string, Buffer> | undefined;
  return () => {
    if (assets === undefined) {
      const folder = assetsFolder();
      assets = new Map(Object.keys(ASSET_TYPES).map((name) => [name, readFileSync(path.join(folder, name))]));
    }
    return assets;
  };
}
