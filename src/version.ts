/**
 * Lookout's version, read once from package.json (dist/ and src/ are both two
 * levels below it), and the User-Agent every HTTP receiver sends.
 */
import { createRequire } from "node:module";

export const VERSION = (createRequire(import.meta.url)("../package.json") as { version: string }).version;
export const USER_AGENT = `Lookout/${VERSION}`;
