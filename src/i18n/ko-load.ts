/**
 * The Korean catalogue, as messages.ts asks for it. In the bundle
 * (scripts/bundle.mjs, `lookout:sync-lazy`) this file is replaced by one that
 * requires the catalogue's own chunk when Korean is first asked for: its text
 * is 166 kB of the bundle, ~2.8 ms of every `check` that speaks English when
 * it shared a chunk with the English one (docs/benchmarks.md §2). Here (tsc,
 * the tests) it is an ordinary import.
 */
import type { Catalogue } from "./catalogue.js";
import { koCatalogue as make } from "./ko.js";

export function koCatalogue(): Catalogue {
  return make();
}
