import { describe as describeValue, QUOTE_MAX_CHARACTERS, quote, shorten } from '../../../lambda/protocol/json';

describe('quote', () => {
  it.each([
    ['a short string as JSON', 'features', '"features"'],
    ['quotes and control characters escaped', 'a"b\n', '"a\\"b\\n"'],
    [
      'a string of exactly the limit in full',
      'x'.repeat(QUOTE_MAX_CHARACTERS),
      `"${'x'.repeat(QUOTE_MAX_CHARACTERS)}"`,
    ],
    [
      'a longer string cut, with its length',
      'x'.repeat(5_000_000),
      `"${'x'.repeat(QUOTE_MAX_CHARACTERS)}..." (5000000 characters)`,
    ],
    [
      'a cut that would split a surrogate pair one character earlier',
      `${'x'.repeat(QUOTE_MAX_CHARACTERS - 1)}😀tail`,
      `"${'x'.repeat(QUOTE_MAX_CHARACTERS - 1)}..." (${QUOTE_MAX_CHARACTERS + 5} characters)`,
    ],
  ])('gives %s', (_, text, expected) => {
    expect(quote(text)).toBe(expected);
  });

  it('takes a smaller limit', () => {
    expect(quote('abcdef', 3)).toBe('"abc..." (6 characters)');
  });
});

describe('shorten', () => {
  it.each([
    ['7', '7'],
    ['9'.repeat(100_000), `${'9'.repeat(QUOTE_MAX_CHARACTERS)}... (100000 characters)`],
  ])('gives %s without quotes, cut like quote', (text, expected) => {
    expect(shorten(text)).toBe(expected);
  });
});

describe('describe', () => {
  it.each<[unknown, string]>([
    [null, 'null'],
    [undefined, 'nothing'],
    [new Array(100_000).fill(0), 'an array of length 100000'],
    ['y'.repeat(1_000_000), `the string "${'y'.repeat(QUOTE_MAX_CHARACTERS)}..." (1000000 characters)`],
    [1.5, 'number 1.5'],
    [false, 'boolean false'],
    [{ a: 1 }, 'an object'],
  ])('describes %p briefly', (value, expected) => {
    expect(describeValue(value)).toBe(expected);
  });
});
