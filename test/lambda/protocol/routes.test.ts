import { describeRoutes, expandPath, ROUTES } from '../../../contract/http-api';
import { MethodNotAllowedError, NotFoundError } from '../../../lambda/protocol/errors';
import { matchRoute, type Route } from '../../../lambda/protocol/routes';
import { thrownBy } from './models';

describe('matchRoute', () => {
  it.each<[string, string, Route]>([
    ['GET', '/v2/health/live', { kind: 'live' }],
    ['GET', '/v2/health/ready', { kind: 'ready' }],
    ['GET', '/v2', { kind: 'server' }],
    ['GET', '/v2/openapi.json', { kind: 'openapi' }],
    ['GET', '/v2/models/iris', { kind: 'modelMetadata', model: 'iris' }],
    ['GET', '/v2/models/iris/versions/2', { kind: 'modelMetadata', model: 'iris', version: '2' }],
    ['GET', '/v2/models/iris/ready', { kind: 'modelReady', model: 'iris' }],
    ['GET', '/v2/models/iris/versions/12/ready', { kind: 'modelReady', model: 'iris', version: '12' }],
    ['POST', '/v2/models/iris/infer', { kind: 'infer', model: 'iris' }],
    ['POST', '/v2/models/my_model-2/versions/1/infer', { kind: 'infer', model: 'my_model-2', version: '1' }],
    ['POST', '/v1/models/iris:predict', { kind: 'predict', model: 'iris' }],
    ['GET', '/v2/models/ready', { kind: 'modelMetadata', model: 'ready' }],
    ['GET', '/v2/models/versions/ready', { kind: 'modelReady', model: 'versions' }],
  ])('routes %s %s', (method, path, route) => {
    expect(matchRoute(method, path)).toEqual(route);
  });

  const concrete = (path: string) => path.replace('{model}', 'iris').replace('{version}', '3');
  it.each(
    ROUTES.flatMap((route) => expandPath(route.path).map((path) => [route.method, concrete(path), route.operation])),
  )("routes %s %s, a path of the contract's table, to %s", (method, path, operation) => {
    expect(matchRoute(method, path)).toEqual({
      kind: operation,
      ...(path.includes('iris') && { model: 'iris' }),
      ...(path.includes('/versions/3') && { version: '3' }),
    });
  });

  it.each([
    ['a trailing slash', 'GET', '/v2/models/iris/', { kind: 'modelMetadata', model: 'iris' }],
    ['a trailing slash on /v2', 'GET', '/v2/', { kind: 'server' }],
    ['a query string', 'GET', '/v2/health/live?probe=1', { kind: 'live' }],
    ['a lowercase verb', 'post', '/v2/models/iris/infer', { kind: 'infer', model: 'iris' }],
  ])('tolerates %s', (_, method, path, route) => {
    expect(matchRoute(method, path)).toEqual(route);
  });

  it.each([
    '/',
    '',
    '/v3',
    '/v2/health',
    '/v2/health/dead',
    '/v2/models',
    '/v2/models/iris/versions',
    '/v2/models/iris/explain',
    '/v2/models/iris/infer/extra',
    '/v2/models/iris/versions/1/ready/now',
    '/v1/models/iris',
    '/v1/models/iris:explain',
    '/v2//models/iris',
  ])('rejects unknown path %p with 404 listing the API paths', (path) => {
    const error = thrownBy(() => matchRoute('GET', path));
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as NotFoundError).statusCode).toBe(404);
    expect((error as Error).message).toContain('GET /v2/models/<name>[/versions/<version>]');
    expect((error as Error).message).toContain('POST /v1/models/<name>:predict');
    expect((error as Error).message).toContain(`the API serves ${describeRoutes()}`);
  });

  it.each([
    ['/v2/models/Iris', 'no model named "Iris"'],
    ['/v2/models/-iris/infer', 'no model named "-iris"'],
    ['/v2/models/a%20b/ready', 'no model named "a%20b"'],
    ['/v1/models/IRIS:predict', 'no model named "IRIS"'],
    ['/v2/models/iris/versions/01', 'model "iris" has no version "01"'],
    ['/v2/models/iris/versions/0/infer', 'model "iris" has no version "0"'],
    ['/v2/models/iris/versions/latest/ready', 'model "iris" has no version "latest"'],
  ])('rejects %p, which names no possible model, with 404 saying what names look like', (path, message) => {
    const error = thrownBy(() => matchRoute(path.endsWith('infer') || path.endsWith('predict') ? 'POST' : 'GET', path));
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as Error).message).toContain(message);
    expect((error as Error).message).toMatch(/lowercase letters|positive integers/);
  });

  it.each([
    ['POST', '/v2/health/live', 'GET'],
    ['DELETE', '/v2/health/ready', 'GET'],
    ['PUT', '/v2', 'GET'],
    ['POST', '/v2/openapi.json', 'GET'],
    ['POST', '/v2/models/iris', 'GET'],
    ['POST', '/v2/models/iris/versions/1/ready', 'GET'],
    ['GET', '/v2/models/iris/infer', 'POST'],
    ['PUT', '/v2/models/iris/versions/1/infer', 'POST'],
    ['GET', '/v1/models/iris:predict', 'POST'],
  ])('rejects %s %s with 405 allowing only %s', (method, path, allowed) => {
    const error = thrownBy(() => matchRoute(method, path));
    expect(error).toBeInstanceOf(MethodNotAllowedError);
    expect((error as MethodNotAllowedError).statusCode).toBe(405);
    expect((error as MethodNotAllowedError).allowed).toEqual([allowed]);
    expect((error as Error).message).toContain(`${method} is not allowed on "${path}"; use ${allowed}`);
  });
});

describe('matchRoute on a path it has matched before', () => {
  it('returns the same route again, and still refuses a wrong method or a bad name on that path', () => {
    const first = matchRoute('POST', '/v2/models/penguins/versions/3/infer');
    expect(matchRoute('POST', '/v2/models/penguins/versions/3/infer')).toEqual(first);
    expect(first).toEqual({ kind: 'infer', model: 'penguins', version: '3' });
    expect(() => matchRoute('DELETE', '/v2/models/penguins/versions/3/infer')).toThrow(/DELETE is not allowed/);
    expect(() => matchRoute('POST', '/v2/models/Penguins/versions/3/infer')).toThrow(/no model named "Penguins"/);
  });
});
