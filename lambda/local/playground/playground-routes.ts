import type { ModelRegistry } from '../../model/model-registry';
import type { ModelSource } from '../../model/model-source';
import { ASSET_TYPES, assetReader } from './playground-assets';
import { playgroundModels, readManifests } from './playground-models';

/** Where the page's files and its model list are served; `/` serves the page itself. */
export const PLAYGROUND_PREFIX = '/playground/';
export const MODEL_LIST_PATH = `${PLAYGROUND_PREFIX}models.json`;

export interface PageAnswer {
  readonly status: number;
  readonly body: string | Buffer;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * Every asset comes from this server and nothing runs that it did not send: no inline script, no other origin. The
 * page only reads and calls this server's own API.
 */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  // The page changes with the code and the model list with the models: always the current one.
  'cache-control': 'no-store',
};

/**
 * The local twin's playground: a page at `/` that lists the served models, with a form per model that calls the API.
 * Answers GET and HEAD of its own paths; for anything else it returns undefined at once, without a promise, so the
 * API's requests go on to the handler without waiting a turn (and `POST /` is the API's 404, as on AWS). Only the twin
 * serves it: the Lambda handler has no such route.
 */
export function createPlayground(
  registry: ModelRegistry,
  sources: readonly ModelSource[],
): (method: string | undefined, path: string) => Promise<PageAnswer> | undefined {
  const assets = assetReader();
  const manifests = readManifests(sources);
  const modelList = async (): Promise<PageAnswer> => {
    const body = JSON.stringify({ models: await playgroundModels(registry, manifests) });
    return { status: 200, body, headers: { ...PAGE_HEADERS, 'content-type': 'application/json' } };
  };
  return (method, path) => {
    if (method !== 'GET' && method !== 'HEAD') return undefined;
    if (path === MODEL_LIST_PATH) return modelList();
    const name =
      path === '/' ? 'index.html' : path.startsWith(PLAYGROUND_PREFIX) ? path.slice(PLAYGROUND_PREFIX.length) : '';
    if (!Object.hasOwn(ASSET_TYPES, name)) return undefined;
    const body = assets().get(name) ?? '';
    return Promise.resolve({ status: 200, body, headers: { ...PAGE_HEADERS, 'content-type': ASSET_TYPES[name] } });
  };
}
