/**
 * Maps an HTTP verb and path to one of the API's operations, independent of how the request arrived. The paths and
 * verbs are those of the contract's route table.
 */
import {
  describeRoutes,
  expandPath,
  type HttpMethod,
  type Operation,
  PATH_PARAMETERS,
  ROUTES,
} from '../../contract/http-api';
import { MethodNotAllowedError, NotFoundError } from './errors';
import { quote } from './json';

export type Route =
  | { readonly kind: 'live' }
  | { readonly kind: 'ready' }
  | { readonly kind: 'server' }
  | { readonly kind: 'openapi' }
  | { readonly kind: 'modelMetadata'; readonly model: string; readonly version?: string }
  | { readonly kind: 'modelReady'; readonly model: string; readonly version?: string }
  | { readonly kind: 'infer'; readonly model: string; readonly version?: string }
  | { readonly kind: 'predict'; readonly model: string }
  | { readonly kind: 'feedback'; readonly model: string };

interface CompiledPath {
  readonly operation: Operation;
  readonly method: HttpMethod;
  readonly pattern: RegExp;
}

/** Each route's concrete paths as anchored patterns; a parameter is one non-empty path segment. */
const COMPILED: readonly CompiledPath[] = ROUTES.flatMap((route) =>
  expandPath(route.path).map((path) => ({
    operation: route.operation,
    method: route.method,
    pattern: new RegExp(
      `^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(model|version)\}/g, '(?<$1>[^/]+)')}$`,
    ),
  })),
);

const API_PATHS = describeRoutes();

/**
 * Routes already matched, by method and path: a server sees the same few paths over and over, and trying every
 * route's pattern took 5 µs a request, a tenth of a small model's whole answer. Bounded in count and key length,
 * since paths come from clients; only routes that matched are kept, so every refusal is worked out (and worded) afresh.
 */
const matched = new Map<string, Route>();
const MATCHED_MAX = 1024;
const MATCHED_KEY_MAX = 256;

/** Throws NotFoundError for a path the API does not have, MethodNotAllowedError for a wrong verb on one it has. */
export function matchRoute(method: string, path: string): Route {
  const key = `${method} ${path}`;
  const known = matched.get(key);
  if (known !== undefined) return known;
  const route = matchRouteAfresh(method, path);
  if (key.length > MATCHED_KEY_MAX) return route;
  if (matched.size >= MATCHED_MAX) matched.clear();
  matched.set(key, route);
  return route;
}

function matchRouteAfresh(method: string, path: string): Route {
  const normalized = normalizePath(path);
  const matches = COMPILED.flatMap((compiled) => {
    const match = compiled.pattern.exec(normalized);
    return match === null ? [] : [{ ...compiled, parameters: match.groups ?? {} }];
  });
  const [first] = matches;
  if (first === undefined) {
    throw new NotFoundError(`no such path ${quote(path)}; the API serves ${API_PATHS}`);
  }
  // Every route on one path has the same parameters; a name no model could have is a 404 whatever the verb.
  const model = first.parameters.model === undefined ? undefined : checkModel(first.parameters.model);
  const version =
    model === undefined || first.parameters.version === undefined
      ? undefined
      : checkVersion(model, first.parameters.version);
  const chosen = matches.find((match) => match.method === method.toUpperCase());
  if (chosen === undefined) {
    const allowed = [...new Set(matches.map((match) => match.method))];
    throw new MethodNotAllowedError(
      // The method needs no quoting: API Gateway and Node's HTTP parser pass only the methods HTTP defines.
      `${method} is not allowed on ${quote(normalized)}; use ${allowed.join(' or ')}`,
      allowed,
    );
  }
  return routeOf(chosen.operation, model, version);
}

function routeOf(operation: Operation, model: string | undefined, version: string | undefined): Route {
  if (operation === 'live' || operation === 'ready' || operation === 'server' || operation === 'openapi') {
    return { kind: operation };
  }
  if (model === undefined) throw new Error(`the route table gives operation ${operation} a path without {model}`);
  if (operation === 'predict' || operation === 'feedback') return { kind: operation, model };
  return version === undefined ? { kind: operation, model } : { kind: operation, model, version };
}

function normalizePath(path: string): string {
  const withoutQuery = path.split('?', 1)[0] ?? '';
  return withoutQuery.length > 1 && withoutQuery.endsWith('/') ? withoutQuery.slice(0, -1) : withoutQuery;
}

/**
 * A name or version the repository could never hold names no model, so it is a 404 like any unknown model, with the
 * rule it breaks. The path arrives as the client sent it (API Gateway REST APIs keep percent-encoding), so `.`, `..`,
 * `%2e%2e` and `a%2Fb` are each one segment here, and each breaks the rule; none is resolved into another path.
 */
function checkModel(name: string): string {
  if (!PATH_PARAMETERS.model.pattern.test(name)) {
    throw new NotFoundError(
      `no model named ${quote(name)}: model names are lowercase letters, digits, "-" and "_", starting with a ` +
        `letter or digit${firstCharacterOutside(name, /[a-z0-9_-]/)}`,
    );
  }
  return name;
}

function checkVersion(model: string, version: string): string {
  if (!PATH_PARAMETERS.version.pattern.test(version)) {
    throw new NotFoundError(
      `model ${quote(model)} has no version ${quote(version)}: versions are positive integers without leading ` +
        'zeros, such as 1',
    );
  }
  return version;
}

/** `, not "." (character 0)`: where a name first breaks its character rule, or what makes it break the rule. */
function firstCharacterOutside(name: string, allowed: RegExp): string {
  if (name === '') return ', not empty';
  let index = 0;
  for (const character of name) {
    if (!allowed.test(character)) return `, not ${quote(character)} (character ${index})`;
    index++;
  }
  return `, not ${quote(name.charAt(0))} first`;
}
