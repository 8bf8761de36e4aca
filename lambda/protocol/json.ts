/** Helpers for narrowing parsed JSON and for naming what a client sent in error messages. */

export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The longest part of a client's string an error message quotes. Every echo of client data goes through `quote` or
 * `describe`, so an answer stays short whatever was sent: a 5 MB input name must not come back as a 5 MB error.
 */
export const QUOTE_MAX_CHARACTERS = 64;

/**
 * A client's string as JSON, cut to its first `max` characters with the full length said, so that a message still
 * shows which value it means: `"xxxx..." (5000000 characters)`.
 */
export function quote(text: string, max = QUOTE_MAX_CHARACTERS): string {
  if (text.length <= max) return JSON.stringify(text);
  return `${JSON.stringify(`${prefix(text, max)}...`)} (${text.length} characters)`;
}

/**
 * `quote` for text that needs no quotes because it is a plain token (a version number that has passed its pattern):
 * `1111... (5000000 characters)`.
 */
export function shorten(text: string, max = QUOTE_MAX_CHARACTERS): string {
  return text.length <= max ? text : `${prefix(text, max)}... (${text.length} characters)`;
}

/** The first `max` characters, one fewer rather than half a surrogate pair. */
function prefix(text: string, max: number): string {
  return text.slice(0, isHighSurrogate(text.charCodeAt(max - 1)) ? max - 1 : max);
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** A short description of a received value for error messages: never the whole value, which may be huge. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  switch (typeof value) {
    case 'string':
      return `the string ${quote(value)}`;
    case 'number':
    case 'boolean':
      return `${typeof value} ${String(value)}`;
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}
