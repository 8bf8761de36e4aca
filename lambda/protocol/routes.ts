/** Maps an HTTP verb and path to one of the API's operations, independent of how the request arrived. */
import { MODEL_NAME_PATTERN, MODEL_VERSION_PATTERN } from '../../contract/model-repository';
import { MethodNotAllowedError, NotFoundError } from './errors';

export type Route =
  | { readonly kind: 'live' }
  | { readonly kind: 'ready' }
  | { readonly kind: 'server' }
  | { readonly kind: 'modelMetadata'; readonly model: string; readonly version?: string }
  | { readonly kind: 'modelReady'; readonly model: string; readonly version?: string }
  | { readonly kind: 'infer'; readonly model: string; readonly version?: string }
  | { readonly kind: 'predict'; readonly model: string };

const API_PATHS = [
  'GET /v2/health/live',
  'GET /v2/health/ready',
  'GET /v2',
  'GET /v2/models/<name>[/versions/<version>]',
  'GET /v2/models/<name>[/versions/<version>]/ready',
  'POST /v2/models/<name>[/versions/<version>]/infer',
  'POST /v1/models/<name>:predict',
].join(', ');

const PREDICT_PATH = /^\/v1\/models\/([^/]+):predict$/;

/** Throws NotFoundError for a path the API does not have, MethodNotAllowedError for a wrong verb on one it has. */
export function matchRoute(method: string, path: string): Route {
  const normalized = normalizePath(path);
  const route = routeOf(normalized);
  if (route === undefined) {
    throw new NotFoundError(`no such path ${quote(path)}; the API serves ${API_PATHS}`);
  }
  const allowed = route.kind === 'infer' || route.kind === 'predict' ? 'POST' : 'GET';
  if (method.toUpperCase() !== allowed) {
    throw new MethodNotAllowedError(`${method} is not allowed on ${normalized}; use ${allowed}`, [allowed]);
  }
  return route;
}

function normalizePath(path: string): string {
  const withoutQuery = path.split('?', 1)[0] ?? '';
  return withoutQuery.length > 1 && withoutQuery.endsWith('/') ? withoutQuery.slice(0, -1) : withoutQuery;
}

function routeOf(path: string): Route | undefined {
  const predict = PREDICT_PATH.exec(path);
  if (predict?.[1] !== undefined) return { kind: 'predict', model: checkModel(predict[1]) };

  const [empty, v2, ...rest] = path.split('/');
  if (empty !== '' || v2 !== 'v2') return undefined;
  if (rest.length === 0) return { kind: 'server' };
  if (rest[0] === 'health' && rest.length === 2) {
    if (rest[1] === 'live') return { kind: 'live' };
    if (rest[1] === 'ready') return { kind: 'ready' };
    return undefined;
  }
  const [models, name, ...tail] = rest;
  if (models !== 'models' || name === undefined) return undefined;
  let version: string | undefined;
  if (tail[0] === 'versions') {
    version = tail[1];
    if (version === undefined) return undefined;
    tail.splice(0, 2);
  }
  if (tail.length > 1) return undefined;
  const operation = tail[0];
  const kind =
    operation === undefined
      ? 'modelMetadata'
      : operation === 'ready'
        ? 'modelReady'
        : operation === 'infer'
          ? 'infer'
          : undefined;
  if (kind === undefined) return undefined;
  const model = checkModel(name);
  return version === undefined ? { kind, model } : { kind, model, version: checkVersion(model, version) };
}

// A name or version the repository could never hold names no model, so it is a 404 like any unknown model.
function checkModel(name: string): string {
  if (!MODEL_NAME_PATTERN.test(name)) {
    throw new NotFoundError(
      `no model named ${quote(name)}: model names are lowercase letters, digits, "-" and "_", starting with a letter or digit`,
    );
  }
  return name;
}

function checkVersion(model: string, version: string): string {
  if (!MODEL_VERSION_PATTERN.test(version)) {
    throw new NotFoundError(
      `model "${model}" has no version ${quote(version)}: versions are positive integers without leading zeros, such as 1`,
    );
  }
  return version;
}

/** Quotes a client-supplied path part, cut short so that an error never echoes a huge URL. */
function quote(text: string): string {
  return JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}...` : text);
}
