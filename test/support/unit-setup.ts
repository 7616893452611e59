/**
 * Runs before each file of the unit project, which shares one module graph per
 * worker (vitest.config.ts, `isolate: false`): what one file left in the
 * process-wide registries must not reach the next, as it could not when each
 * file had modules of its own. The secrets registry (src/secrets.ts) and the
 * log's level and sink (src/log.ts) start as a fresh process has them.
 */
import { setProcessLocale } from "../../src/i18n/current.js";
import { type LogLevel, setLogLevel, setLogSink } from "../../src/log.js";
import { clearSecrets } from "../../src/secrets.js";

clearSecrets();
setProcessLocale(undefined);
setLogLevel(((process.env.LOOKOUT_LOG_LEVEL as LogLevel | undefined) ?? "info") as LogLevel);
setLogSink((line) => process.stderr.write(line + "\n"));
