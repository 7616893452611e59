/**
 * The English catalogue as the bundled CLI holds it: one string, each text
 * found in it when first asked for. en.ts is an object of ~1,300 texts, and
 * an object literal that size costs every process that loads it ~3 ms of CPU
 * to build (each key and text made a string of its own and a property), where
 * a steady `lookout check` asks for a few dozen (docs/benchmarks.md, section
 * 2). scripts/bundle.mjs writes en.ts's texts as `catalogueText(en)` and loads
 * `lazyCatalogue` of that in its place; tsc's build and the tests use en.ts
 * as written. Foundations: imports nothing.
 *
 * The text: for each entry, NUL, its key, SOH, its text; a character past
 * U+00FF (…, →, ×) as STX and its four hex digits, so that the string is
 * one byte a character: V8 keeps it (and its code cache holds it) in half
 * the memory, ~1.3 ms less to load. No key or text may hold NUL, SOH or STX:
 * `catalogueText` refuses them.
 */

const ENTRY = "\u0000";
const VALUE = "\u0001";
const WIDE = "\u0002";
const WIDE_CHAR = /\u0002([0-9a-f]{4})/g;

function decode(text: string): string {
  return text.includes(WIDE) ? text.replace(WIDE_CHAR, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))) : text;
}

/** `catalogue` as one string (scripts/bundle.mjs, at build time). Throws when a key or text holds NUL or SOH. */
export function catalogueText(catalogue: Readonly<Record<string, string>>): string {
  let text = "";
  for (const [key, value] of Object.entries(catalogue)) {
    if (/[\u0000-\u0002]/.test(key + value)) throw new Error(`catalogue entry ${JSON.stringify(key)} holds a NUL, SOH or STX character`);
    if (/[^\u0000-\u00ff]/.test(key)) throw new Error(`catalogue key ${JSON.stringify(key)} is not Latin-1`);
    text += `${ENTRY}${key}${VALUE}${value.replace(/[^\u0000-\u00ff]/g, (c) => WIDE + c.charCodeAt(0).toString(16).padStart(4, "0"))}`;
  }
  return text;
}

/**
 * A read-only object with the entries of `text` (`catalogueText`'s): each text read out of the string when first
 * asked for, then kept; the whole set made only when listed (`Object.keys`, `Object.entries`).
 */
export function lazyCatalogue<T extends Record<string, string>>(text: string): Readonly<T> {
  const found = new Map<string, string | undefined>();
  let all: Record<string, string> | undefined;
  const lookup = (key: string | symbol): string | undefined => {
    if (typeof key !== "string") return undefined;
    if (found.has(key)) return found.get(key);
    const at = text.indexOf(`${ENTRY}${key}${VALUE}`);
    let value: string | undefined;
    if (at !== -1) {
      const start = at + key.length + 2;
      const end = text.indexOf(ENTRY, start);
      value = decode(text.slice(start, end === -1 ? text.length : end));
    }
    found.set(key, value);
    return value;
  };
  const entries = (): Record<string, string> => {
    if (all === undefined) {
      all = {};
      for (const entry of text.split(ENTRY)) {
        if (entry === "") continue;
        const cut = entry.indexOf(VALUE);
        all[entry.slice(0, cut)] = decode(entry.slice(cut + 1));
      }
    }
    return all;
  };
  const refuse = (): boolean => false;
  return new Proxy({} as T, {
    get: (_, key) => lookup(key),
    has: (_, key) => lookup(key) !== undefined,
    ownKeys: () => Object.keys(entries()),
    getOwnPropertyDescriptor: (_, key) => {
      const value = lookup(key);
      return value === undefined ? undefined : { value, writable: false, enumerable: true, configurable: true };
    },
    set: refuse,
    defineProperty: refuse,
    deleteProperty: refuse,
  });
}
