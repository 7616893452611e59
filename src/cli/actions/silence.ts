import type { Command } from "commander";
import { parseDuration } from "../../config/duration.js";
import { closest } from "../../config/suggest.js";
import { nextStart } from "../../cron.js";
import { LookoutError, said, UsageError } from "../../errors.js";
import { oneLine } from "../../escape.js";
import { processMessages } from "../../i18n/current.js";
import type { Messages } from "../../i18n/messages.js";
import { isKnownLabel, KNOWN_LABELS, type LabelMatcher, MATCHER_EXAMPLES, parseMatcher } from "../../label-matchers.js";
import { activeMaintenance } from "../../silence/maintenance.js";
import type { Silence } from "../../silence/silence.js";
import { withDatabase } from "../../store/database.js";
import { SilenceStore } from "../../store/silences.js";
import { isoTime } from "../../units.js";
import { loadFromCommand } from "../context.js";
import { writeAllNow } from "../output.js";
import { renderTable } from "../table.js";
import { localTimeText } from "../times.js";

/** `2026-11-25 18:40 +01:00 (in 2h)` / `2026-11-25 18:40 KST (2시간 후)`. */
function untilText(m: Messages, endsAt: number, now: number): string {
  return m.t("cli.silence.until", { time: localTimeText(m, endsAt), duration: m.duration(Math.max(0, endsAt - now)) });
}

function matchersText(m: Messages, matchers: readonly string[]): string {
  return matchers.length === 0 ? m.t("cli.silence.everyAlert") : oneLine(matchers.join(" "));
}

/**
 * A warning for a matcher on a label no alert has (`contianer=db-1`): it
 * compares the empty string, so it most likely holds back nothing.
 */
export function unknownLabelWarning(matcher: LabelMatcher, silenceId = "ID", m: Messages = processMessages()): string | undefined {
  if (isKnownLabel(matcher.name)) return undefined;
  const hint = closest(matcher.name, KNOWN_LABELS);
  const { name, pattern } = matcher;
  const effect = matcher.test(undefined) ? m.t("cli.silence.unknownLabel.everyAlert", { name, pattern: JSON.stringify(pattern) }) : m.t("cli.silence.unknownLabel.noAlert");
  return oneLine(
    m.t("cli.silence.unknownLabel", {
      name,
      pattern,
      hint: hint ? m.t("cli.silence.unknownLabel.hint", { hint }) : "",
      labels: KNOWN_LABELS.join(", "),
      effect,
      id: silenceId,
    }),
  );
}

/** `lookout silence add` (commands/silence.ts defines its options). */
export async function silenceAdd(opts: { match?: string[]; for?: string; comment?: string }, cmd: Command): Promise<void> {
  const match = opts.match ?? [];
  if (match.length === 0) {
    throw new UsageError(said("cmd.silence.matchRequired", MATCHER_EXAMPLES));
  }
  const parsed = match.map((m) => parseMatcher(m)); // a bad --match is refused before anything else
  if (opts.for === undefined) throw new UsageError(said("cmd.silence.forRequired"));
  const durationMs = parseDuration(opts.for);
  if (durationMs === undefined) throw new UsageError(said("cmd.silence.forInvalid", { value: JSON.stringify(opts.for) }));
  if (durationMs <= 0) throw new UsageError(said("cmd.silence.forZero", { value: JSON.stringify(opts.for) }));
  const loaded = await loadFromCommand(cmd);
  const m = processMessages();
  const now = Date.now();
  const s = withDatabase(loaded.dataDir, (db) => new SilenceStore(db).add({ matchers: match, durationMs, comment: opts.comment ?? "", now }));
  for (const matcher of parsed) {
    const warning = unknownLabelWarning(matcher, s.id, m);
    if (warning) writeAllNow(`${m.t("cli.warningPrefix")}${warning}\n`, 2);
  }
  writeAllNow(m.t("cli.silence.added", { id: s.id, matchers: matchersText(m, s.matchers), until: untilText(m, s.endsAt, now), dataDir: oneLine(loaded.dataDir) }));
}

interface Row {
  silence: Silence;
  source: "cli" | "maintenance";
  cron?: string;
}

/** `lookout silence list`. */
export async function silenceList(opts: { json?: boolean }, cmd: Command): Promise<void> {
  const loaded = await loadFromCommand(cmd);
  const m = processMessages();
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
        starts_at: isoTime(s.startsAt),
        ends_at: isoTime(s.endsAt),
        comment: s.comment,
        created_by: s.createdBy,
        created_at: isoTime(s.createdAt),
      })),
    };
    writeAllNow(JSON.stringify(out, null, 2) + "\n");
    return;
  }
  const lines: string[] = [];
  if (rows.length === 0) {
    lines.push(m.t("cli.silence.none", { dataDir: oneLine(loaded.dataDir) }));
    lines.push(m.t("cli.silence.howToAdd"));
  } else {
    const table = rows.map(({ silence: s, source, cron }) => {
      const until = untilText(m, s.endsAt, now);
      const when = s.startsAt > now ? m.t("cli.silence.fromUntil", { from: localTimeText(m, s.startsAt), until }) : until;
      const comment =
        source === "maintenance" ? m.t("cli.silence.window", { cron: cron ?? "?", comment: s.comment ? m.t("cli.silence.windowComment", { comment: s.comment }) : "" }) : s.comment;
      return [s.id, matchersText(m, s.matchers), when, comment, source === "maintenance" ? m.t("cli.silence.byConfig") : s.createdBy];
    });
    const columns = (["id", "matchers", "until", "comment", "by"] as const).map((c) => m.t(`cli.column.${c}`));
    lines.push(renderTable(columns, table));
  }
  const idle = windows.map((w, i) => ({ w, i })).filter(({ i }) => !rows.some((r) => r.silence.id === `maintenance[${i}]`));
  if (idle.length > 0) {
    lines.push("", m.t("cli.silence.idle", { path: oneLine(loaded.path ?? m.t("cli.silence.config")) }));
    for (const { w, i } of idle) {
      const next = nextStart(w.cron, now);
      lines.push(
        m.t("cli.silence.idleLine", {
          id: `maintenance[${i}]`,
          cron: oneLine(w.cron),
          duration: m.duration(w.duration),
          matchers: matchersText(m, w.match),
          next: next !== undefined ? m.t("cli.silence.nextFrom", { time: localTimeText(m, next) }) : m.t("cli.silence.neverAgain"),
        }),
      );
    }
  }
  writeAllNow(lines.join("\n") + "\n");
}

/** `lookout silence remove ID`. */
export async function silenceRemove(id: string, _opts: unknown, cmd: Command): Promise<void> {
  if (/^maintenance\[\d+\]$/.test(id.trim())) {
    throw new UsageError(said("cmd.silence.maintenance", { id: id.trim() }));
  }
  const loaded = await loadFromCommand(cmd);
  const removed = withDatabase(loaded.dataDir, (db) => new SilenceStore(db).remove(id));
  if (!removed) {
    throw new LookoutError(said("cmd.silence.noSuch", { id, dir: loaded.dataDir }), { exitCode: 1 });
  }
  const m = processMessages();
  writeAllNow(m.t("cli.silence.removed", { id: removed.id, matchers: matchersText(m, removed.matchers) }));
}
