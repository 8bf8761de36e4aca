import { fromHalfBits, toHalfBits } from '../../../lambda/protocol/fp16';

describe('toHalfBits', () => {
  it.each([
    ['zero', 0, 0x0000],
    ['negative zero', -0, 0x8000],
    ['one', 1, 0x3c00],
    ['minus two', -2, 0xc000],
    ['the largest half, 65504', 65504, 0x7bff],
    ['65519, just below the overflow tie', 65519, 0x7bff],
    ['65520, the overflow tie, as infinity', 65520, 0x7c00],
    ['a value far beyond the range as infinity', 1e6, 0x7c00],
    ['the smallest normal, 2^-14', 2 ** -14, 0x0400],
    ['6.1e-5, just below the smallest normal, as the largest subnormal', 6.1e-5, 0x03ff],
    ['the smallest subnormal, 5.96e-8', 5.96e-8, 0x0001],
    ['half the smallest subnormal (a tie) to even zero', 2 ** -25, 0x0000],
    ['1.5 subnormal steps (a tie) to even 2 steps', 3 * 2 ** -25, 0x0002],
    ['a tie just below the smallest normal up to it', 2 ** -14 - 2 ** -25, 0x0400],
    ['values below half the smallest subnormal to zero', 1e-9, 0x0000],
    ['1 + 2^-11 (a tie) down to even 1', 1 + 2 ** -11, 0x3c00],
    ['1 + 3 * 2^-11 (a tie) up to even 1 + 2^-9', 1 + 3 * 2 ** -11, 0x3c02],
    ['a value just above a tie up, without double rounding through float32', 1 + 2 ** -11 + 2 ** -40, 0x3c01],
    ['0.1 to its nearest half', 0.1, 0x2e66],
    ['1/3 to its nearest half', 1 / 3, 0x3555],
    ['a mantissa that rounds up into the next exponent', 2 - 2 ** -12, 0x4000],
    ['infinity', Number.POSITIVE_INFINITY, 0x7c00],
    ['negative infinity', Number.NEGATIVE_INFINITY, 0xfc00],
    ['NaN as the quiet NaN', Number.NaN, 0x7e00],
  ])('converts %s', (_, value, bits) => {
    expect(toHalfBits(value)).toBe(bits);
  });
});

describe('fromHalfBits', () => {
  it.each([
    ['0x0000', 0x0000, 0],
    ['0x8000', 0x8000, -0],
    ['0x0001', 0x0001, 2 ** -24],
    ['0x03ff', 0x03ff, 1023 * 2 ** -24],
    ['0x0400', 0x0400, 2 ** -14],
    ['0x3c00', 0x3c00, 1],
    ['0x3c01', 0x3c01, 1 + 2 ** -10],
    ['0xc000', 0xc000, -2],
    ['0x7bff', 0x7bff, 65504],
    ['0x7c00', 0x7c00, Number.POSITIVE_INFINITY],
    ['0xfc00', 0xfc00, Number.NEGATIVE_INFINITY],
    ['0x7e00', 0x7e00, Number.NaN],
    ['0x7c01', 0x7c01, Number.NaN],
  ])('decodes %s to its exact value', (_, bits, value) => {
    expect(Object.is(fromHalfBits(bits), value)).toBe(true);
  });

  it('round-trips every non-NaN bit pattern through toHalfBits', () => {
    const mismatches: number[] = [];
    for (let bits = 0; bits <= 0xffff; bits++) {
      const value = fromHalfBits(bits);
      if (!Number.isNaN(value) && toHalfBits(value) !== bits) mismatches.push(bits);
    }
    expect(mismatches).toEqual([]);
  });
});
