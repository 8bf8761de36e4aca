import { quote } from '../protocol/json';

/** The path and query of an HTTP request target, as API Gateway would pass them to the function. */
export interface RequestTarget {
  /** The path as sent: still percent-encoded, dot segments not resolved (API Gateway's REST proxy does neither). */
  readonly path: string;
  readonly query: URLSearchParams;
}

/** A request target that is neither a path nor an http(s) URL: the answer is a 400. */
export class BadRequestTargetError extends Error {
  override readonly name = 'BadRequestTargetError';
}

const ABSOLUTE_FORM = /^https?:\/\//i;

/**
 * Splits a request target (RFC 9112 §3.2) into path and query. The origin form (`/v2/health/live?x=1`) is what
 * clients send; the absolute form (`http://host/v2/health/live`) is what they send to a proxy, and servers must
 * accept it too (§3.2.2), so it is served as its path. Anything else is refused with a message that quotes a short
 * prefix of the target.
 *
 * Not `new URL(target, base).pathname`: WHATWG URL parsing resolves `..` and `%2e%2e`, turns `\` into `/` and throws
 * on some targets, so the handler would see another path than the one sent (`/v2/models/..` would become `/v2`).
 */
export function parseRequestTarget(target: string): RequestTarget {
  if (target.startsWith('/')) return splitQuery(target);
  if (ABSOLUTE_FORM.test(target) && URL.canParse(target)) {
    const afterScheme = target.indexOf('//') + 2;
    const pathStart = target.slice(afterScheme).search(/[/?]/);
    const pathAndQuery = pathStart === -1 ? '' : target.slice(afterScheme + pathStart);
    return splitQuery(pathAndQuery.startsWith('/') ? pathAndQuery : `/${pathAndQuery}`);
  }
  throw new BadRequestTargetError(
    `the request target ${quote(target)} is neither a path nor an http URL; send a path such as /v2/health/live`,
  );
}

function splitQuery(pathAndQuery: string): RequestTarget {
  const mark = pathAndQuery.indexOf('?');
  if (mark === -1) return { path: pathAndQuery, query: new URLSearchParams() };
  return { path: pathAndQuery.slice(0, mark), query: new URLSearchParams(pathAndQuery.slice(mark + 1)) };
}
