import type { Command } from "commander";
import { formatDuration, parseDuration } from "../../config/duration.js";
import { closest } from "../../config/load.js";
import { nextStart } from "../../cron.js";
import { LookoutError, UsageError } from "../../errors.js";
import { oneLine } from "../../escape.js";
import { isKnownLabel, KNOWN_LABELS, type LabelMatcher, MATCHER_EXAMPLE, parseMatcher } from "../../label-matchers.js";
import { activeMaintenance } from "../../silence/maintenance.js";
import type { Silence } from "../../silence/silence.js";
import { withDatabase } from "../../store/database.js";
import { SilenceStore } from "../../store/silences.js";
import { loadFromCommand } from "../context.js";
import { renderTable } from "../table.js";

const pad = (n: number) => String(n).padStart(2, "0");

/** `2026-11-25 18:40 +01:00`: local time, as people read it, with its offset. */
export function formatLocalTime(ms: number): string {
  const d = new Date(ms);
  const off = -d.getTimezoneOffset();
  const sign = off < 0 ? "-" : "+";
  const abs = Math.abs(off);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())} ${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

function untilText(endsAt: number, now: number): string {
  return `${formatLocalTime(endsAt)} (in ${formatDuration(Math.max(0, endsAt - now))})`;
}

function matchersText(matchers: readonly string[]): string {
  return matchers.length === 0 ? "(every alert)" : oneLine(matchers.join(" "));
}

/**
 * A warning for a matcher on a label no alert has (`contianer=db-1`): it
 * compares the empty string, so it most likely holds back nothing.
 */
export function unknownLabelWarning(m: LabelMatcher, silenceId = "ID"): string | undefined {
  if (isKnownLabel(m.name)) return undefined;
  const hint = closest(m.name, KNOWN_LABELS);
  const effect = m.test(undefined)
    ? `it holds for every alert (no alert has ${m.name}, and ${JSON.stringify(m.pattern)} matches the empty value)`
    : "this silence holds back no alert";
  return oneLine(
    `--match ${m.name}=${m.pattern}: no alert has a label "${m.name}"${hint ? ` (did you mean "${hint}"?)` : ""}; ` +
      `the labels are ${KNOWN_LABELS.join(", ")}. Added anyway, but ${effect}; end it with lookout silence remove ${silenceId} if that is not what you meant`,
  );
}

/** `lookout silence add` (commands/silence.ts defines its options). */
export function silenceAdd(opts: { match?: string[]; for?: string; comment?: string }, cmd: Command): void {
  const match = opts.match ?? [];
  if (match.length === 0) {
    throw new UsageError(`silence add: --match is required: give at least one ${MATCHER_EXAMPLE} (to hold back every alert of this host: --match 'alertname=*')`);
  }
  const parsed = match.map((m) => parseMatcher(m)); // a bad --match is refused before anything else
  if (opts.for === undefined) throw new UsageError("silence add: --for is required: how long the silence lasts, like --for 2h (30m, 1d, 1h30m)");
  const durationMs = parseDuration(opts.for);
  if (durationMs === undefined) throw new UsageError(`--for: expected a duration like 30m, 2h, 1d or 1h30m, got ${JSON.stringify(opts.for)}`);
  if (durationMs <= 0) throw new UsageError(`--for: expected a duration above 0 like 30m, 2h or 1d, got ${JSON.stringify(opts.for)}`);
  const loaded = loadFromCommand(cmd);
  const now = Date.now();
  const s = withDatabase(loaded.dataDir, (db) => new SilenceStore(db).add({ matchers: match, durationMs, comment: opts.comment ?? "", now }));
  for (const m of parsed) {
    const warning = unknownLabelWarning(m, s.id);
    if (warning) process.stderr.write(`warning: ${warning}\n`);
  }
  process.stdout.write(
    `Silence ${s.id} added: ${matchersText(s.matchers)} until ${untilText(s.endsAt, now)}.\n` +
      `Matching alerts are tracked but not sent; one still firing when the silence ends is sent then.\n` +
      `Kept in ${oneLine(loaded.dataDir)}; end it early with: lookout silence remove ${s.id}\n`,
  );
}

interface Row {
  silence: Silence;
  source: "cli" | "maintenance";
  cron?: string;
}

/** `lookout silence list`. */
export function silenceList(opts: { json?: boolean }, cmd: Command): void {
  const loaded = loadFromCommand(cmd);
  const now = Date.now();
  const stored = withDatabase(loaded.dataDir, (db) => new SilenceStore(db).list(now));
  const windows = loaded.config.maintenance;
  const rows: Row[] = [
    ...activeMaintenance(windows, now).map((silence): Row => {
      const i = Number(/\d+/.exec(silence.id)?.[0]);
      return { silence, source: "maintenance", cron: windows[i]?.cron };
    }),
    ...stored.map((silence): Row => ({ silence, source: "cli" })),
  ].sort((a, b) => a.silence.endsAt - b.silence.endsAt);
  if (opts.json) {
    const out = {
      silences: rows.map(({ silence: s, source, cron }) => ({
        id: s.id,
        source,
        ...(cron !== undefined ? { cron } : {}),
        matchers: s.matchers,
        starts_at: new Date(s.startsAt).toISOString(),
        ends_at: new Date(s.endsAt).toISOString(),
        comment: s.comment,
        created_by: s.createdBy,
        created_at: new Date(s.createdAt).toISOString(),
      })),
    };
    process.stdout.write(JSON.stringify(out, null, 2) + "\n");
    return;
  }
  const lines: string[] = [];
  if (rows.length === 0) {
    lines.push(`no silence is in force (data directory ${oneLine(loaded.dataDir)})`);
    lines.push('add one with: lookout silence add --match container=db-1 --for 2h --comment "migration"');
  } else {
    const table = rows.map(({ silence: s, source, cron }) => {
      const starts = s.startsAt > now ? `from ${formatLocalTime(s.startsAt)} ` : "";
      const comment = source === "maintenance" ? `maintenance window "${cron ?? "?"}"${s.comment ? `: ${s.comment}` : ""}` : s.comment;
      return [s.id, matchersText(s.matchers), starts + untilText(s.endsAt, now), comment, source === "maintenance" ? "config" : s.createdBy];
    });
    lines.push(renderTable(["ID", "MATCHERS", "UNTIL", "COMMENT", "BY"], table));
  }
  const idle = windows.map((w, i) => ({ w, i })).filter(({ i }) => !rows.some((r) => r.silence.id === `maintenance[${i}]`));
  if (idle.length > 0) {
    lines.push("", `Maintenance windows not active now (${oneLine(loaded.path ?? "config")}):`);
    for (const { w, i } of idle) {
      const next = nextStart(w.cron, now);
      lines.push(
        `  maintenance[${i}] "${oneLine(w.cron)}" for ${formatDuration(w.duration)}: ${matchersText(w.match)}` +
          (next !== undefined ? `, next from ${formatLocalTime(next)}` : ", never again"),
      );
    }
  }
  process.stdout.write(lines.join("\n") + "\n");
}

/** `lookout silence remove ID`. */
export function silenceRemove(id: string, _opts: unknown, cmd: Command): void {
  if (/^maintenance\[\d+\]$/.test(id.trim())) {
    throw new UsageError(`${id.trim()} is a maintenance window from the config: change or remove it in the config's maintenance: list`);
  }
  const loaded = loadFromCommand(cmd);
  const removed = withDatabase(loaded.dataDir, (db) => new SilenceStore(db).remove(id));
  if (!removed) {
    throw new LookoutError(`no silence with id "${id}" in ${loaded.dataDir} (it may have ended already; lookout silence list shows the others)`, { exitCode: 1 });
  }
  process.stdout.write(`Silence ${removed.id} removed (${matchersText(removed.matchers)}); matching alerts that still fire are sent at the next check.\n`);
}
