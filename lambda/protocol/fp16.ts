/**
 * IEEE 754 half precision, which ONNX Runtime takes and returns as raw 16-bit patterns (Uint16Array) because
 * JavaScript has no float16 type in Node.js 20.
 */

const HALF_NAN = 0x7e00;
const HALF_INFINITY = 0x7c00;
// Halfway between 65504 (the largest half) and 65536 (the next power of two): from here on, round-to-nearest-even
// rounds up to infinity.
const HALF_OVERFLOW = 65520;
const SMALLEST_NORMAL = 2 ** -14;

function roundHalfToEven(x: number): number {
  const floor = Math.floor(x);
  const fraction = x - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * The half-precision bit pattern nearest to `value`, ties to even. Converts from the double directly rather than
 * through float32, so values just above a tie are not rounded twice (once to float32 onto the tie, then to even).
 */
export function toHalfBits(value: number): number {
  if (Number.isNaN(value)) return HALF_NAN;
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const magnitude = Math.abs(value);
  if (magnitude >= HALF_OVERFLOW) return sign | HALF_INFINITY;
  if (magnitude < SMALLEST_NORMAL) {
    // Subnormals are multiples of 2^-24; a result of 1024 lands exactly on the smallest normal's bit pattern.
    return sign | roundHalfToEven(magnitude * 2 ** 24);
  }
  let exponent = Math.floor(Math.log2(magnitude));
  // Math.log2 may be off by one next to powers of two; the scaled value must lie in [1, 2).
  if (2 ** exponent > magnitude) exponent -= 1;
  else if (2 ** (exponent + 1) <= magnitude) exponent += 1;
  let mantissa = roundHalfToEven((magnitude / 2 ** exponent) * 1024 - 1024);
  if (mantissa === 1024) {
    mantissa = 0;
    exponent += 1;
  }
  return sign | ((exponent + 15) << 10) | mantissa;
}

/** The exact value of a half-precision bit pattern. */
export function fromHalfBits(bits: number): number {
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  let magnitude: number;
  if (exponent === 0) magnitude = mantissa * 2 ** -24;
  else if (exponent === 0x1f) magnitude = mantissa === 0 ? Number.POSITIVE_INFINITY : Number.NaN;
  else magnitude = (1024 + mantissa) * 2 ** (exponent - 25);
  return bits & 0x8000 ? -magnitude : magnitude;
}
