import type { MessageKey } from "./en.js";

/** A catalogue: every key of en.ts, each a text with the same `{placeholder}`s. A new language is one file of this type. */
export type Catalogue = Readonly<Record<MessageKey, string>>;
