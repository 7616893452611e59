import type { Command } from "commander";
import { Agent, type CycleResult } from "../../agent.js";
import { notificationTitle } from "../../alert/title.js";
import { ConfigError, describeError } from "../../errors.js";
import { oneLine } from "../../escape.js";
import type { HttpServer } from "../../http/server.js";
import { httpSettings } from "../../http/settings.js";
import { processMessages } from "../../i18n/current.js";
import { log } from "../../log.js";
import { Heartbeat } from "../../notify/heartbeat.js";
import { Runner } from "../../runner.js";
import { loadFromCommand, noWebhookHint } from "../context.js";
import { firstCheckLine } from "../first-check.js";
import { whenStdoutCloses, writeOut } from "../output.js";
import { instantText } from "../times.js";

/** On SIGINT/SIGTERM, how long to keep trying to hand queued notifications over before exiting (the rest stays queued on disk). */
const SHUTDOWN_DELIVERY_MS = 3000;

/** `lookout run` (commands/run.ts defines it). */
export async function run(_opts: unknown, cmd: Command): Promise<void> {
  const loaded = await loadFromCommand(cmd);
  // The language of what this process prints and logs for people (the config's, once loaded): log fields' names stay English.
  const m = processMessages();
  const heartbeat = Heartbeat.fromConfig(loaded.config, loaded.path ?? "built-in defaults");
  // Before anything starts: a server other machines could reach without a token, an unreadable token file (exit 2).
  const http = httpSettings(loaded);
  const agent = new Agent(loaded, {
    command: "run",
    // One line per alert; the title holds machine text (mount points, container names): escaped to one line.
    // Nobody reading stdout any more (`lookout run | head -1`) stops only the printing (output.ts).
    onNotification: (n) => writeOut(`${instantText(m, n.at)} ${oneLine(notificationTitle(n))}\n`),
  });
  // The server's code is loaded only when it serves (http.enabled); a port in use stops the start (exit 2).
  let server: HttpServer | null = null;
  if (http) {
    try {
      server = await (await import("../../http/server.js")).serveAgent(agent, http);
    } catch (err) {
      await agent.close();
      throw err;
    }
  }
  const stop = new AbortController();
  const onSignal = (sig: string) => {
    if (stop.signal.aborted) return;
    log.info(m.t("cli.run.stopping"), { signal: sig });
    stop.abort();
  };
  process.on("SIGINT", () => onSignal("SIGINT"));
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  // The agent outlives any one failure: a bug in one cycle is logged, not fatal.
  process.on("unhandledRejection", (reason) => log.error(m.t("cli.run.unexpected"), { error: describeError(reason) }));

  const interval = loaded.config.interval;
  log.info(m.t("cli.run.started"), {
    hostname: loaded.hostname,
    config: loaded.path ?? m.t("cli.builtInDefaults"),
    data_dir: loaded.dataDir,
    interval: m.duration(interval),
    receivers: agent.notifiers.map((n) => `${n.name} ${n.target}`).join(", ") || m.t("cli.none"),
  });
  whenStdoutCloses((why) => log.warn(m.t("cli.run.stdoutClosed", { why })));
  if (agent.notifiers.length === 0) writeOut(noWebhookHint(m) + "\n");
  if (agent.dispatcher.pendingCount() > 0) log.info(m.t("cli.run.stillQueued"), { count: agent.dispatcher.pendingCount() });

  // After the first complete check, one log line with what it sees; then the log stays quiet until something happens.
  let reported = false;
  const onCycle = (result: CycleResult) => {
    if (reported) return;
    reported = true;
    log.info(firstCheckLine(result, m));
  };
  const runner = new Runner(agent, interval, stop.signal, heartbeat, { onCycle });
  // SIGHUP: the configuration is read again and, if valid, applied between checks; else the one in use stays.
  process.on("SIGHUP", () => {
    log.info(m.t("cli.run.reloading"), { signal: "SIGHUP" });
    runner.requestReload(() => reloadConfig(cmd, agent, runner));
  });
  await runner.run();
  // Nothing is answered once the agent stops: the server closes first, its connections with it.
  await server?.close();
  // Flush: give queued notifications a last chance, within one deadline; a request still in flight then is
  // aborted, and what is left stays in the outbox for the next start.
  await agent.dispatcher.flush(Date.now() + SHUTDOWN_DELIVERY_MS);
  await agent.close();
  const left = agent.dispatcher.pendingCount();
  log.info(m.t("cli.run.stopped"), left > 0 ? { undelivered_kept_for_next_start: left } : {});
}

/**
 * SIGHUP: reads and checks the configuration as at start. Valid: applied
 * (receivers, routes, thresholds, interval, heartbeat, collectors' settings;
 * alert state and the outbox stay) and the log says what changed. Not valid:
 * the log says why, and the configuration in use stays.
 */
async function reloadConfig(cmd: Command, agent: Agent, runner: Runner): Promise<void> {
  let next: Awaited<ReturnType<typeof loadFromCommand>>;
  let heartbeat: Heartbeat | null;
  try {
    next = await loadFromCommand(cmd);
    heartbeat = Heartbeat.fromConfig(next.config, next.path ?? "built-in defaults");
  } catch (err) {
    const why = err instanceof ConfigError ? { config: err.source, problems: err.problems.join("; ") } : { error: describeError(err) };
    log.error(processMessages().t("cli.run.notReloaded"), why);
    return;
  }
  const m = processMessages(); // the reloaded config's language
  if (JSON.stringify(next.config.http) !== JSON.stringify(agent.loaded.config.http)) {
    log.warn(m.t("cli.run.httpChanged"));
  }
  const changes = await agent.reload(next);
  runner.configure(next.config.interval, heartbeat);
  log.info(m.t(changes.length > 0 ? "cli.run.reloaded" : "cli.run.reloadedNothing"), {
    config: next.path ?? m.t("cli.builtInDefaults"),
    changed: changes.length > 0 ? changes.join("; ") : undefined,
    receivers: agent.notifiers.map((n) => `${n.name} ${n.target}`).join(", ") || m.t("cli.none"),
  });
}
