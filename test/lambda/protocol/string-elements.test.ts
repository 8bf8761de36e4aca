import { bytesElementProblem, stringElementProblem } from '../../../lambda/protocol/string-elements';

describe('stringElementProblem', () => {
  it.each(['', 'plain', 'héllo', '😀', '\ufeff', '\u{10ffff}', '\ud83d\ude00\ud83d\ude00'])(
    'accepts the well-formed text %p',
    (text) => {
      expect(stringElementProblem(text)).toBeUndefined();
    },
  );

  it.each([
    ['a NUL', 'a\u0000b', 'holds a NUL character (U+0000) at character 1'],
    ['a NUL beside a lone surrogate', '\ud800\u0000', 'NUL character (U+0000) at character 1'],
    ['a lone high surrogate', '\ud800', 'holds a lone UTF-16 surrogate (\\ud800) at character 0'],
    ['a high surrogate at the end', 'ab\udbff', '(\\udbff) at character 2'],
    ['a lone low surrogate', 'a\udc00', '(\\udc00) at character 1'],
    ['a low surrogate after a complete pair', '😀\ude00', '(\\ude00) at character 2'],
    ['two high surrogates', '\ud83d\ud83d\ude00', '(\\ud83d) at character 0'],
  ])('refuses %s', (_, text, message) => {
    expect(stringElementProblem(text)).toContain(message);
  });
});

describe('bytesElementProblem', () => {
  it('accepts bytes without NUL, whatever their encoding (UTF-8 is checked on decoding)', () => {
    expect(bytesElementProblem(new Uint8Array([0x61, 0xff, 0xef, 0xbb, 0xbf]))).toBeUndefined();
  });

  it('refuses a NUL byte, naming where', () => {
    expect(bytesElementProblem(new Uint8Array([0x61, 0x62, 0x00]))).toContain('holds a NUL byte at byte 2');
  });
});
