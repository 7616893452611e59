import { Command } from "commander";
import { DOCKER_COLLECTOR, type StatsSource, savedProblems, savedStatsSource } from "../../collect/docker/saved.js";
import { oneLine } from "../../escape.js";
import { processMessages } from "../../i18n/current.js";
import type { Messages } from "../../i18n/messages.js";
import { readState, type StoredState } from "../../store/agent-store.js";
import { withDatabase } from "../../store/database.js";
import { isoTime } from "../../units.js";
import { labelsText, stateText } from "../check-report.js";
import { loadFromCommand } from "../context.js";
import { examplesText } from "../help.js";
import { writeAllNow } from "../output.js";
import { cut, renderTable, SCREEN_WIDTH, wrap } from "../table.js";
import { instantText } from "../times.js";

export function statusCommand(): Command {
  const m = processMessages();
  return new Command("status")
    .description(m.t("help.status"))
    .option("--json", m.t("help.json"))
    .addHelpText("after", examplesText(m, "help.example", ["lookout status --data-dir /var/lib/lookout"]))
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const loaded = await loadFromCommand(cmd);
      const state = withDatabase(loaded.dataDir, readState);
      const now = Date.now();
      const queued = state.outbox.flatMap((e) =>
        e.pending.map((d) => ({
          id: e.notification.id,
          kind: e.notification.kind,
          alert: e.notification.alert.fingerprint,
          receiver: d.receiver,
          attempts: d.attempts,
          next_attempt_at: isoTime(d.nextAttemptAt),
          last_error: d.lastError,
        })),
      );
      const problems = savedProblems(state.collectors[DOCKER_COLLECTOR]?.data);
      const statsSource = savedStatsSource(state.collectors[DOCKER_COLLECTOR]?.data);
      if (opts.json) {
        const out = {
          hostname: loaded.hostname,
          last_check_at: state.lastCycleAt === null ? null : isoTime(state.lastCycleAt),
          alerts: state.alerts.map((a) => ({
            alertname: a.alertname,
            labels: { ...a.labels, severity: a.severity },
            state: a.state,
            severity: a.severity,
            value: a.value,
            threshold: a.threshold,
            since: isoTime(a.state === "firing" ? (a.firingSince ?? a.activeSince) : a.activeSince),
          })),
          undelivered: queued,
          failed: state.failed.map((f) => ({
            notification_id: f.notificationId,
            title: f.title,
            receiver: f.receiver,
            error: f.error,
            at: isoTime(f.at),
            reported_at: f.reportedAt ? isoTime(f.reportedAt) : null,
          })),
          problems,
          container_stats: statsSource
            ? {
                cgroup_files: statsSource.cgroup,
                cgroup_version: statsSource.cgroupVersion,
                engine_api: statsSource.api,
                engine_api_reasons: statsSource.apiReasons,
                at: isoTime(statsSource.at),
              }
            : null,
        };
        writeAllNow(JSON.stringify(out, null, 2) + "\n");
        return;
      }
      // For people, in the language of the config (or LOOKOUT_LOCALE).
      const view = { hostname: loaded.hostname, dataDir: loaded.dataDir, now, state, problems, statsSource };
      writeAllNow(statusText(view, processMessages()));
    });
}

/** What `lookout status` reads for its text. */
export interface StatusView {
  hostname: string;
  dataDir: string;
  now: number;
  state: Pick<StoredState, "lastCycleAt" | "alerts" | "outbox" | "failed">;
  /** The Docker collector's problems with containers' settings, as it saved them. */
  problems: readonly string[];
  statsSource: StatsSource | null;
}

/**
 * `lookout status` for people: fits SCREEN_WIDTH columns, every piece of
 * machine text escaped to one line (--json has it all); the words in `m`'s
 * language, the alerts' names, labels and the receivers' answers as they are.
 */
export function statusText(view: StatusView, m: Messages): string {
  const { state, now } = view;
  const lines: string[] = [];
  const ago = (at: number) => m.t("cli.ago", { duration: m.duration(Math.max(0, now - at)) });
  const host = view.hostname;
  if (state.lastCycleAt === null) lines.push(...wrap(m.t("cli.status.never", { hostname: host, dataDir: view.dataDir }), SCREEN_WIDTH));
  else lines.push(cut(oneLine(m.t("cli.status.lastCheck", { hostname: host, ago: ago(state.lastCycleAt), at: instantText(m, state.lastCycleAt) })), SCREEN_WIDTH));
  if (state.alerts.length === 0) lines.push(m.t("cli.status.noAlerts"));
  else {
    const rows = state.alerts.map((a) => {
      const since = a.state === "firing" ? (a.firingSince ?? a.activeSince) : a.activeSince;
      return [a.alertname, labelsText(a.labels), m.value(a.value, a.unit), String(a.threshold), stateText(m, a.state, a.severity), ago(since)];
    });
    const columns = (["alert", "labels", "value", "threshold", "state", "since"] as const).map((c) => m.t(`cli.column.${c}`));
    lines.push("", renderTable(columns, rows, { maxWidth: SCREEN_WIDTH }));
  }
  const waiting = state.outbox.reduce((n, e) => n + e.pending.length, 0);
  if (waiting > 0) {
    lines.push("", m.t("cli.status.waiting", { count: waiting }));
    for (const e of state.outbox) {
      const a = e.notification.alert;
      const alert = [a.alertname, labelsText(a.labels)].filter(Boolean).join(" ");
      for (const d of e.pending) {
        const next = d.nextAttemptAt > now ? m.t("cli.status.nextIn", { duration: m.duration(d.nextAttemptAt - now) }) : "";
        const line = m.t("cli.status.waitingLine", { kind: m.t(`cli.kind.${e.notification.kind}`), alert, receiver: d.receiver, attempts: d.attempts, next });
        lines.push(cut(oneLine(line), SCREEN_WIDTH));
        if (d.lastError) lines.push(...wrap(d.lastError, SCREEN_WIDTH, "    "));
      }
    }
  }
  if (state.failed.length > 0) {
    lines.push("", m.t("cli.status.failed", { count: state.failed.length }));
    for (const f of state.failed.slice(-10)) {
      lines.push(cut(oneLine(`  ${f.title} → ${f.receiver}, ${ago(f.at)}`), SCREEN_WIDTH));
      lines.push(...wrap(f.error, SCREEN_WIDTH, "    "));
    }
  }
  const source = statsSourceLine(m, view.statsSource);
  if (source) lines.push("", ...wrap(source, SCREEN_WIDTH));
  if (view.problems.length > 0) {
    lines.push("", m.t("cli.status.problems"));
    for (const p of view.problems) lines.push(...wrap(p, SCREEN_WIDTH, "  "));
  }
  return lines.join("\n") + "\n";
}

/**
 * Where the Docker collector read the containers' figures, one line in the
 * process's language: in English what the collector's `statsSourceText` says
 * (test/i18n/cli-output.test.ts compares them); the reasons are the
 * collector's own words. Null before any running container was read.
 */
export function statsSourceLine(m: Messages, s: StatsSource | null): string | null {
  if (!s || s.cgroup + s.api === 0) return null;
  const version = s.cgroupVersion ? m.t("cli.status.stats.version", { version: s.cgroupVersion }) : "";
  const reasons = s.apiReasons.map((r) => (s.apiReasons.length > 1 ? m.t("cli.status.stats.reason", { reason: r.reason, count: r.containers }) : r.reason));
  const joined = reasons.join("; ");
  const why = joined ? m.t("cli.status.stats.why", { reasons: joined }) : "";
  if (s.api === 0) return m.t("cli.status.stats.files", { version });
  if (s.cgroup === 0) return m.t("cli.status.stats.api", { why });
  return m.t("cli.status.stats.both", { version, cgroup: s.cgroup, api: s.api, why });
}
