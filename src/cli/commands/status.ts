import { Command } from "commander";
import { loadFromCommand } from "../context.js";
import { readState } from "../../store/agent-store.js";
import { withDatabase } from "../../store/database.js";
import { renderTable } from "../table.js";
import { formatValue } from "../../units.js";
import { formatDuration } from "../../config/duration.js";

export function statusCommand(): Command {
  return new Command("status")
    .description("show every alert that is pending or firing, since when, and its last value")
    .option("--json", "print JSON")
    .addHelpText("after", "\nExample:\n  lookout status --data-dir /var/lib/lookout\n")
    .action((opts: { json?: boolean }, cmd: Command) => {
      const loaded = loadFromCommand(cmd);
      const state = withDatabase(loaded.dataDir, readState);
      const now = Date.now();
      const queued = state.outbox.flatMap((e) =>
        e.pending.map((d) => ({
          id: e.notification.id,
          kind: e.notification.kind,
          alert: e.notification.alert.fingerprint,
          receiver: d.receiver,
          attempts: d.attempts,
          next_attempt_at: new Date(d.nextAttemptAt).toISOString(),
          last_error: d.lastError,
        })),
      );
      const dockerData = state.collectors.docker?.data as { problems?: unknown } | undefined;
      const problems = Array.isArray(dockerData?.problems) ? (dockerData.problems as string[]) : [];
      if (opts.json) {
        const out = {
          hostname: loaded.hostname,
          last_check_at: state.lastCycleAt === null ? null : new Date(state.lastCycleAt).toISOString(),
          alerts: state.alerts.map((a) => ({
            alertname: a.alertname,
            labels: { ...a.labels, severity: a.severity },
            state: a.state,
            severity: a.severity,
            value: a.value,
            threshold: a.threshold,
            since: new Date(a.state === "firing" ? (a.firingSince ?? a.activeSince) : a.activeSince).toISOString(),
          })),
          undelivered: queued,
          failed: state.failed.map((f) => ({
            notification_id: f.notificationId,
            title: f.title,
            receiver: f.receiver,
            error: f.error,
            at: new Date(f.at).toISOString(),
            reported_at: f.reportedAt ? new Date(f.reportedAt).toISOString() : null,
          })),
          problems,
        };
        process.stdout.write(JSON.stringify(out, null, 2) + "\n");
        return;
      }
      const lines: string[] = [];
      lines.push(
        state.lastCycleAt === null
          ? `${loaded.hostname}: no check has run yet with data directory ${loaded.dataDir}`
          : `${loaded.hostname}: last check ${formatDuration(now - state.lastCycleAt)} ago (${new Date(state.lastCycleAt).toISOString()})`,
      );
      if (state.alerts.length === 0) lines.push("no alert is pending or firing");
      else {
        const rows = state.alerts.map((a) => {
          const since = a.state === "firing" ? (a.firingSince ?? a.activeSince) : a.activeSince;
          return [a.state.toUpperCase(), a.severity, a.fingerprint, formatValue(a.value, a.unit), String(a.threshold), `${new Date(since).toISOString()} (${formatDuration(now - since)})`];
        });
        lines.push("", renderTable(["STATE", "SEVERITY", "ALERT", "LAST VALUE", "THRESHOLD", "SINCE"], rows));
      }
      if (queued.length > 0) {
        lines.push("", `${queued.length} notification(s) waiting to be delivered:`);
        for (const q of queued) lines.push(`  ${q.kind} ${q.alert} → ${q.receiver}, ${q.attempts} attempt(s)${q.last_error ? `: ${q.last_error}` : ""}`);
      }
      if (state.failed.length > 0) {
        lines.push("", `${state.failed.length} notification(s) could not be delivered:`);
        for (const f of state.failed.slice(-10)) lines.push(`  ${new Date(f.at).toISOString()} ${f.title} → ${f.receiver}: ${f.error}`);
      }
      if (problems.length > 0) {
        lines.push("", "Container settings ignored (fix the label or override):");
        for (const p of problems) lines.push(`  ${p}`);
      }
      process.stdout.write(lines.join("\n") + "\n");
    });
}
