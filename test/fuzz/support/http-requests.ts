/** Arbitraries for the HTTP surface (methods, paths, headers, query strings) and what each request must get. */
import fc from 'fast-check';
import { expandPath, ROUTES } from '../../../contract/http-api';

/** Names that are keys of every plain JavaScript object: a map built with `{}` already "has" them. */
export const PROTOTYPE_KEYS = [
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  '__defineGetter__',
  '__lookupSetter__',
];

const token = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,15}$/);

/** Header values a client can put on the wire: visible ASCII and spaces, not starting or ending with a space. */
const headerValue = fc.oneof(
  fc.stringMatching(/^[!-~]([ -~]{0,30}[!-~])?$/),
  fc.constantFrom('', 'x', '1', '__proto__', 'application/octet-stream', '*/*', 'null'),
);

/**
 * Headers that must not change any answer: prototype keys, random names, common ones. The headers that do change
 * the request (Content-Length, Transfer-Encoding, Host, Connection, Content-Type, Accept and
 * Inference-Header-Content-Length) are each the subject of their own cases.
 */
export function neutralHeaders(prototypeKeys = true): fc.Arbitrary<[string, string][]> {
  const names = fc.oneof(
    { weight: 3, arbitrary: token.filter((name) => !RESERVED_HEADERS.has(name.toLowerCase())) },
    { weight: 2, arbitrary: fc.constantFrom('X-Request-Id', 'User-Agent', 'Authorization', 'Cookie', 'X-Api-Key') },
  );
  const withKeys = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...PROTOTYPE_KEYS) },
    { weight: 1, arbitrary: fc.constantFrom(...PROTOTYPE_KEYS.map((key) => key.toUpperCase())) },
    { weight: 2, arbitrary: names },
  );
  return fc.array(fc.tuple(prototypeKeys ? withKeys : names, headerValue), { maxLength: 4 });
}

const RESERVED_HEADERS = new Set([
  'content-length',
  'transfer-encoding',
  'host',
  'connection',
  'content-type',
  'accept',
  'inference-header-content-length',
  'expect',
  'upgrade',
  'te',
  'trailer',
  'keep-alive',
  'proxy-connection',
]);

/** Query parameters, which no route reads: prototype keys, random names, repeated names, empty values. */
export function queryParameters(prototypeKeys = true): fc.Arbitrary<[string, string][]> {
  const names = prototypeKeys
    ? fc.oneof(fc.constantFrom(...PROTOTYPE_KEYS), token, fc.constant(''))
    : fc.oneof(token, fc.constant(''));
  return fc.array(
    fc.tuple(
      names.filter((name) => prototypeKeys || !PROTOTYPE_KEYS.includes(name)),
      fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('', '1', '__proto__')),
    ),
    { maxLength: 4 },
  );
}

/** `?a=1&b=2` with every name and value percent-encoded, or '' for none. */
export function queryString(parameters: readonly [string, string][]): string {
  if (parameters.length === 0) return '';
  return `?${parameters.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join('&')}`;
}

/** What a path names: a route with its model and version (raw, as sent), or nothing the API serves. */
export interface PathTarget {
  readonly path: string;
  /** The route's method, when the path fills one of the route table's templates. */
  readonly routeMethods: readonly string[];
  readonly operation?: string;
  readonly model?: string;
  readonly version?: string;
  /** No reading of the path, normalized or not, names a route: only 404 will do. */
  readonly mustBe404?: boolean;
}

const INVALID_NAMES = [
  '..',
  '.',
  '%2e%2e',
  '%2E%2E',
  '.%2e',
  'Penguins',
  'pen guins',
  '-x',
  '_x',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'a%2Fb',
  '%00',
  'caf%C3%A9',
];
const VERSIONS = ['1', '2', '0', '01', '-1', 'x', '1.0', '99999999999999999999', '..', '__proto__', '%31'];

/** A path the route table defines, filled with a served, unknown, invalid or very long model name and version. */
export function routePath(servedModels: readonly string[]): fc.Arbitrary<PathTarget> {
  const templates = ROUTES.flatMap((route) =>
    expandPath(route.path).map((template) => ({ template, method: route.method, operation: route.operation })),
  );
  const model = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...servedModels) },
    { weight: 1, arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,10}$/) },
    { weight: 3, arbitrary: fc.constantFrom(...INVALID_NAMES) },
    { weight: 1, arbitrary: fc.integer({ min: 200, max: 20_000 }).map((length) => 'a'.repeat(length)) },
  );
  const version = fc.oneof(
    { weight: 3, arbitrary: fc.constant('1') },
    { weight: 2, arbitrary: fc.constantFrom(...VERSIONS) },
  );
  return fc.tuple(fc.constantFrom(...templates), model, version).map(([{ template, operation }, name, v]) => {
    const path = template.replace('{model}', name).replace('{version}', v);
    return {
      path,
      routeMethods: templates.filter((other) => other.template === template).map((other) => other.method),
      operation,
      ...(template.includes('{model}') && { model: name }),
      ...(template.includes('{version}') && { version: v }),
    };
  });
}

/** Paths no route has: unknown prefixes, random segments, doubled or trailing slashes, dot segments, long ones. */
export const unroutedPath: fc.Arbitrary<PathTarget> = fc
  .oneof(
    fc.webPath().map((path) => (path.startsWith('/') ? path : `/${path}`)),
    fc.constantFrom(
      '/',
      '/v1',
      '/v3/health/live',
      '/v2/health',
      '/v2/models',
      '/v2/models/',
      '/v2//health/live',
      '/v2/health/live/extra',
      '/v2/models/penguins/versions',
      '/v2/models/penguins/infer/x',
      '/V2/health/live',
      '/v2/health/%6Cive',
      '/%2e%2e/v2/health/live',
      '/v2/health/live%00',
      '/v2/./health/live',
      '/v2/models/penguins/./ready',
      '/v2/models/penguins/versions/1/..',
    ),
    fc.integer({ min: 1, max: 20_000 }).map((length) => `/v2/${'x'.repeat(length)}`),
  )
  .map((path): PathTarget => ({ path, routeMethods: [] }));

/**
 * Origin-form targets that start with `//`: the first segment is part of the path, not a host, so
 * `//x/v2/health/live` names no route, whether or not a proxy merges its slashes.
 */
export const doubleSlashPath: fc.Arbitrary<PathTarget> = fc
  .tuple(
    fc.constantFrom('x', 'evil.example', '127.0.0.1:1'),
    fc.constantFrom('/v2/health/live', '/v2', '/v2/models/penguins'),
  )
  .map(([host, path]) => ({ path: `//${host}${path}`, routeMethods: [], mustBe404: true }));

export const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'];

/** Whether a path is one a client may legitimately have normalized (dot segments, percent-encoding, slashes). */
export function isAmbiguousPath(path: string): boolean {
  return /%|\/\.\.?(\/|$)|\/\/|\/$/.test(path.split('?')[0] ?? path);
}

/**
 * The statuses the API may answer for this method and path without a body, from the route table alone: the
 * named resource's 200 (503 while a model cannot load), 404 for a model, version or path that does not exist,
 * 405 for a wrong verb, 400 for a POST without a body. Ambiguous paths (which a client library or proxy may
 * normalize) may also be answered as the path they normalize to.
 */
export function allowedStatuses(method: string, target: PathTarget, servedModels: readonly string[]): number[] {
  if (target.mustBe404) return [404];
  const ambiguous = isAmbiguousPath(target.path);
  const anything = [200, 400, 404, 405];
  if (target.routeMethods.length === 0) return ambiguous ? anything : [404];
  const modelExists = target.model === undefined || servedModels.includes(target.model);
  const versionExists = target.version === undefined || target.version === '1';
  if (!modelExists || !versionExists) {
    // A model name or version that cannot exist is a 404; a path with dot segments names no model either.
    return target.model !== undefined && /^(\.|\.\.|%2e%2e|\.%2e)$/i.test(target.model) ? [404] : [404, 405];
  }
  if (!target.routeMethods.includes(method)) {
    if (method === 'HEAD' && target.routeMethods.includes('GET')) return [200];
    return method === 'OPTIONS' ? [200, 204, 405] : [405];
  }
  if (method === 'POST') return [400];
  return target.operation === 'ready' || target.operation === 'modelReady' ? [200, 503] : [200];
}

/** A path for the regression corpus, described as `routePath` would describe it. */
export function routeTarget(path: string, routeMethods: readonly string[]): PathTarget {
  const model = /^\/v[12]\/models\/([^/:]+)/.exec(path)?.[1];
  const version = /\/versions\/([^/]+)/.exec(path)?.[1];
  const operation = path.endsWith('/ready') ? 'modelReady' : path.endsWith('/infer') ? 'infer' : undefined;
  return {
    path,
    routeMethods,
    ...(operation !== undefined && { operation }),
    ...(model !== undefined && { model }),
    ...(version !== undefined && { version }),
  };
}
