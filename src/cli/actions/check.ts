import type { Command } from "commander";
import { Agent } from "../../agent.js";
import { monotonicMs } from "../../clock.js";
import { processMessages } from "../../i18n/current.js";
import { setLogLevel } from "../../log.js";
import { Heartbeat } from "../../notify/heartbeat.js";
import { HISTORY_STEP_MS } from "../../runner.js";
import { checkJson, checkTable, EXIT_CODES } from "../check-report.js";
import { type GlobalOptions, loadFromOptions } from "../context.js";
import { writeAllNow } from "../output.js";

/** How long `check` may spend rolling up and trimming the history after its cycle, in steps of the runner's `HISTORY_STEP_MS`. */
const HISTORY_BUDGET_MS_CHECK = 200;

/** How long `check` may wait for receivers (backoff, Retry-After) before leaving the rest to the next run. */
const DELIVERY_BUDGET_MS = 20_000;

/** What `lookout check` is told: its own options and the global ones. */
export interface CheckOptions extends GlobalOptions {
  json?: boolean;
  all?: boolean;
}

/** `lookout check` (commands/check.ts defines its options). */
export async function check(_opts: CheckOptions, cmd: Command): Promise<void> {
  await checkWith(cmd.optsWithGlobals<CheckOptions>());
}

/** `lookout check` with its options read (by commander, or by fast-path.ts from cron's plain command lines). */
export async function checkWith(opts: CheckOptions): Promise<void> {
  // From cron, only problems should print (cron mails whatever a job writes).
  if (!process.env.LOOKOUT_LOG_LEVEL) setLogLevel("warn");
  const loaded = await loadFromOptions(opts);
  const heartbeat = Heartbeat.fromConfig(loaded.config, loaded.path ?? "built-in defaults");
  const agent = new Agent(loaded, { command: "check" });
  const result = await agent.cycle();
  // The history's roll-up and deletion, in short steps as run does them; from cron every minute, that keeps up.
  const until = monotonicMs() + HISTORY_BUDGET_MS_CHECK;
  while (monotonicMs() < until && agent.maintainHistory(Date.now(), HISTORY_STEP_MS)) await new Promise((r) => setImmediate(r));
  await heartbeat?.beat();
  // flush, not drain: a request still in flight at the budget is aborted (it stays queued for the next run).
  await agent.dispatcher.flush(Date.now() + DELIVERY_BUDGET_MS);
  await agent.close();
  const m = processMessages();
  writeAllNow(opts.json ? JSON.stringify(checkJson(result, loaded.hostname), null, 2) + "\n" : checkTable(result, loaded.hostname, { all: opts.all === true, messages: m }));
  const left = agent.dispatcher.pendingCount();
  if (left > 0) writeAllNow(m.t("cli.check.undelivered", { count: left }) + "\n", 2);
  // A check that could not be saved is UNKNOWN to whoever runs it (Nagios, cron), whatever it found: the log said why.
  process.exitCode = result.storageError ? EXIT_CODES.unknown : EXIT_CODES[result.status];
}
