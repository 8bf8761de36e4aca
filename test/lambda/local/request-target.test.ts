import { BadRequestTargetError, parseRequestTarget } from '../../../lambda/local/request-target';

describe('parseRequestTarget', () => {
  it.each([
    ['/v2/health/live', '/v2/health/live', ''],
    ['/v2/models/penguins?a=1&a=2&toString=x', '/v2/models/penguins', 'a=1&a=2&toString=x'],
    ['/v2/models/..', '/v2/models/..', ''],
    ['/v2/models/%2e%2e/ready', '/v2/models/%2e%2e/ready', ''],
    ['/v2\\health/live', '/v2\\health/live', ''],
    ['http://localhost:8080/v2/health/live', '/v2/health/live', ''],
    ['https://user@example.com/v2?x=1', '/v2', 'x=1'],
    ['http://example.com', '/', ''],
    ['http://example.com?x=1', '/', 'x=1'],
  ])('reads %j as path %j and query %j, as sent', (target, path, query) => {
    const parsed = parseRequestTarget(target);
    expect([parsed.path, parsed.query.toString()]).toEqual([path, query]);
  });

  it.each(['http://[/v2/health/live', 'ftp://example.com/v2', 'v2/health/live', '*', `x${'y'.repeat(500)}`])(
    'rejects %j, quoting at most 64 characters of it',
    (target) => {
      expect(() => parseRequestTarget(target)).toThrow(BadRequestTargetError);
      expect(() => parseRequestTarget(target)).toThrow(
        /^the request target ".{1,67}"( \(\d+ characters\))? is neither a path nor an http URL/,
      );
    },
  );
});
