/**
 * What BYTES elements may hold. ONNX Runtime's Node.js binding hands string tensors to the model as NUL-terminated
 * UTF-8: an element with a NUL character would reach the model cut at the NUL ("a\u0000b" as "a"), and a lone UTF-16
 * surrogate, which has no UTF-8 form, as U+FFFD. Both are refused with a message naming the element, rather than run
 * on different data than was sent.
 */

/** Why `text` cannot travel as a BYTES element, or undefined when it can. */
export function stringElementProblem(text: string): string | undefined {
  const nul = text.indexOf('\u0000');
  if (nul !== -1) {
    return (
      `holds a NUL character (U+0000) at character ${nul}, which ONNX Runtime string tensors cannot carry (the ` +
      'model would see the text cut there); remove it, or encode binary content as text (base64, for example)'
    );
  }
  const surrogate = loneSurrogateAt(text);
  if (surrogate !== -1) {
    const code = text.charCodeAt(surrogate).toString(16);
    return (
      `holds a lone UTF-16 surrogate (\\u${code}) at character ${surrogate}, which is not Unicode text and has no ` +
      'UTF-8 form (the model would see U+FFFD instead); send well-formed text'
    );
  }
  return undefined;
}

/** A BYTES element's bytes in the binary tensor data extension: the same NUL rule as text. */
export function bytesElementProblem(bytes: Uint8Array): string | undefined {
  const nul = bytes.indexOf(0);
  if (nul === -1) return undefined;
  return (
    `holds a NUL byte at byte ${nul}, which ONNX Runtime string tensors cannot carry (the model would see the ` +
    'element cut there); remove it, or encode binary content as text (base64, for example)'
  );
}

/** The index of the first surrogate that is not half of a high-low pair, or -1. */
function loneSurrogateAt(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0xd800 || code > 0xdfff) continue;
    const next = text.charCodeAt(i + 1);
    if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      i++;
      continue;
    }
    return i;
  }
  return -1;
}
