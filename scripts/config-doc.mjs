/**
 * Writes docs/configuration.md from the config schema and the rules
 * (src/export/config-doc.ts, as tsc built it into dist/): `npm run docs:config`.
 * test/config/config-doc.test.ts fails when the file in the repository differs.
 */
import { writeFileSync } from "node:fs";
import { renderConfigDoc } from "../dist/export/config-doc.js";

writeFileSync(new URL("../docs/configuration.md", import.meta.url), renderConfigDoc());
console.log("wrote docs/configuration.md");
