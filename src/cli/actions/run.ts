import type { Command } from "commander";
import { Agent, type CycleResult } from "../../agent.js";
import { notificationTitle } from "../../alert/title.js";
import { formatDuration } from "../../config/duration.js";
import { ConfigError, describeError } from "../../errors.js";
import { oneLine } from "../../escape.js";
import type { HttpServer } from "../../http/server.js";
import { httpSettings } from "../../http/settings.js";
import { log } from "../../log.js";
import { Heartbeat } from "../../notify/heartbeat.js";
import { Runner } from "../../runner.js";
import { loadFromCommand, NO_WEBHOOK_HINT } from "../context.js";
import { firstCheckLine } from "../first-check.js";
import { whenStdoutCloses, writeOut } from "../output.js";

/** On SIGINT/SIGTERM, how long to keep trying to hand queued notifications over before exiting (the rest stays queued on disk). */
const SHUTDOWN_DELIVERY_MS = 3000;

/** `lookout run` (commands/run.ts defines it). */
export async function run(_opts: unknown, cmd: Command): Promise<void> {
  const loaded = loadFromCommand(cmd);
  const heartbeat = Heartbeat.fromConfig(loaded.config, loaded.path ?? "built-in defaults");
  // Before anything starts: a server other machines could reach without a token, an unreadable token file (exit 2).
  const http = httpSettings(loaded);
  const agent = new Agent(loaded, {
    command: "run",
    // One line per alert; the title holds machine text (mount points, container names): escaped to one line.
    // Nobody reading stdout any more (`lookout run | head -1`) stops only the printing (output.ts).
    onNotification: (n) => writeOut(`${new Date(n.at).toISOString()} ${oneLine(notificationTitle(n))}\n`),
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
    log.info("stopping", { signal: sig });
    stop.abort();
  };
  process.on("SIGINT", () => onSignal("SIGINT"));
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  // The agent outlives any one failure: a bug in one cycle is logged, not fatal.
  process.on("unhandledRejection", (reason) => log.error("unexpected failure (please report it)", { error: describeError(reason) }));

  const interval = loaded.config.interval;
  log.info("lookout started", {
    hostname: loaded.hostname,
    config: loaded.path ?? "built-in defaults",
    data_dir: loaded.dataDir,
    interval: formatDuration(interval),
    receivers: agent.notifiers.map((n) => `${n.name} ${n.target}`).join(", ") || "none",
  });
  whenStdoutCloses((why) =>
    log.warn(`standard output is closed (${why}): alerts are no longer printed there; they are still sent to the receivers and kept in the data directory`),
  );
  if (agent.notifiers.length === 0) writeOut(NO_WEBHOOK_HINT + "\n");
  if (agent.dispatcher.pendingCount() > 0) log.info("notifications from before the restart are still queued", { count: agent.dispatcher.pendingCount() });

  // After the first complete check, one log line with what it sees; then the log stays quiet until something happens.
  let reported = false;
  const onCycle = (result: CycleResult) => {
    if (reported) return;
    reported = true;
    log.info(firstCheckLine(result));
  };
  const runner = new Runner(agent, interval, stop.signal, heartbeat, { onCycle });
  // SIGHUP: the configuration is read again and, if valid, applied between checks; else the one in use stays.
  process.on("SIGHUP", () => {
    log.info("reloading the configuration", { signal: "SIGHUP" });
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
  log.info("stopped", left > 0 ? { undelivered_kept_for_next_start: left } : {});
}

/**
 * SIGHUP: reads and checks the configuration as at start. Valid: applied
 * (receivers, routes, thresholds, interval, heartbeat, collectors' settings;
 * alert state and the outbox stay) and the log says what changed. Not valid:
 * the log says why, and the configuration in use stays.
 */
async function reloadConfig(cmd: Command, agent: Agent, runner: Runner): Promise<void> {
  let next: ReturnType<typeof loadFromCommand>;
  let heartbeat: Heartbeat | null;
  try {
    next = loadFromCommand(cmd);
    heartbeat = Heartbeat.fromConfig(next.config, next.path ?? "built-in defaults");
  } catch (err) {
    const why = err instanceof ConfigError ? { config: err.source, problems: err.problems.join("; ") } : { error: describeError(err) };
    log.error("configuration not reloaded: the one in use stays; fix it and send SIGHUP again", why);
    return;
  }
  if (JSON.stringify(next.config.http) !== JSON.stringify(agent.loaded.config.http)) {
    log.warn("http.* changed: the HTTP server keeps its address and token until lookout run is restarted");
  }
  const changes = await agent.reload(next);
  runner.configure(next.config.interval, heartbeat);
  log.info(changes.length > 0 ? "configuration reloaded" : "configuration reloaded: nothing changed", {
    config: next.path ?? "built-in defaults",
    changed: changes.length > 0 ? changes.join("; ") : undefined,
    receivers: agent.notifiers.map((n) => `${n.name} ${n.target}`).join(", ") || "none",
  });
}
