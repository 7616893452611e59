/**
 * The optional daily summary (`notify.daily_summary: "09:00"`): one message a
 * day at that local time saying what fires now (or "all clear"), what fired
 * and resolved since the last summary, and what could not be delivered; so a
 * quiet channel is known to be quiet, not broken. Pure: the agent keeps the
 * counts (SummaryCounts) in its state and asks `summaryDue` every cycle.
 */

import type { AlertEvent, AlertRecord } from "../alert/state.js";
import { oneLine } from "../escape.js";
import { type Locale, type Messages, messages } from "../i18n/messages.js";
import { HOST_CPU, HOST_DISK, HOST_MEMORY, METRICS } from "../model/metrics.js";
import { DAILY_SUMMARY_ALERTNAME, type Fact, type Notification } from "../model/notification.js";
import { isSampleOf, type Sample, sampleKey } from "../model/sample.js";

/** What happened since the last summary. */
export interface SummaryCounts {
  /** When counting started (the last summary, or the first cycle). */
  since: number;
  fired: number;
  resolved: number;
  /** Firings per alert name. */
  byName: Record<string, number>;
  /** When the last summary was made; null before the first. */
  lastSentAt: number | null;
}

export function emptyCounts(now: number): SummaryCounts {
  return { since: now, fired: 0, resolved: 0, byName: {}, lastSentAt: null };
}

/** Adds this cycle's events to the counts. */
export function countEvents(c: SummaryCounts, events: readonly AlertEvent[]): SummaryCounts {
  const next = { ...c, byName: { ...c.byName } };
  for (const e of events) {
    if (e.kind === "firing") {
      next.fired++;
      next.byName[e.alert.alertname] = (next.byName[e.alert.alertname] ?? 0) + 1;
    } else if (e.kind === "resolved") next.resolved++;
  }
  return next;
}

/** The most recent time the clock showed `at` ("09:00", local time) at or before `now`. */
export function lastOccurrence(at: string, now: number): number {
  const [h, m] = at.split(":").map(Number) as [number, number];
  const d = new Date(now);
  d.setHours(h, m, 0, 0);
  if (d.getTime() > now) d.setDate(d.getDate() - 1);
  return d.getTime();
}

/**
 * Whether a summary is due: the clock passed `at` since the last one. Without
 * a last one (a new agent), only within the hour after `at`, so installing
 * Lookout in the afternoon does not send the morning's summary.
 */
export function summaryDue(at: string, counts: SummaryCounts, now: number): boolean {
  const occurrence = lastOccurrence(at, now);
  if (counts.lastSentAt === null) return now - occurrence < 3_600_000 && counts.since <= now;
  return counts.lastSentAt < occurrence;
}

/** The summary notification. `failed`: notifications given up on since the last summary. In the words of `locale` (English by default). */
export function buildSummary(opts: {
  id: string;
  hostname: string;
  now: number;
  counts: SummaryCounts;
  alerts: readonly AlertRecord[];
  failed: number;
  samples: readonly Sample[];
  locale?: Locale;
}): Notification {
  const { now, counts } = opts;
  const m = messages(opts.locale);
  const firing = opts.alerts.filter((a) => a.state === "firing");
  const critical = firing.filter((a) => a.severity === "critical").length;
  const state =
    firing.length === 0 ? m.t("summary.allClear") : m.plural("summary.firing", firing.length, { critical: critical > 0 ? m.t("summary.critical", { count: critical }) : "" });
  const facts: Fact[] = [];
  const period = m.t("summary.period", { time: m.time(counts.since) });
  const names = Object.entries(counts.byName)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, 5)
    .map(([n, c]) => `${n} ×${c}`);
  facts.push({
    label: m.t("summary.fired"),
    value: m.t("summary.firedValue", { count: counts.fired, period, names: names.length > 0 ? m.t("summary.names", { names: names.join(m.t("list.sep")) }) : "" }),
  });
  facts.push({ label: m.t("summary.resolved"), value: m.t("summary.resolvedValue", { count: counts.resolved }) });
  if (opts.failed > 0) facts.push({ label: m.t("summary.notDelivered"), value: m.plural("summary.notDelivered", opts.failed) });
  const host = hostNow(opts.samples, m);
  if (host) facts.push({ label: m.t("summary.hostNow"), value: host });
  const severity = (s: "warning" | "critical") => (s === "critical" ? m.t("summary.firingLine.severity.critical") : m.t("summary.firingLine.severity.warning"));
  const sections =
    firing.length > 0
      ? [
          {
            title: m.t("summary.firingNow"),
            text:
              firing
                .slice(0, 20)
                // One line per alert: machine text in it (a container's name, a mount point) cannot start another.
                .map((a) =>
                  oneLine(
                    m.t("summary.firingLine", {
                      severity: severity(a.severity),
                      text: a.summary ?? `${a.display} ${m.value(a.value, a.unit)}`,
                      time: m.time(a.firingSince ?? a.activeSince),
                    }),
                  ),
                )
                .join("\n") + (firing.length > 20 ? `\n${m.t("summary.andMore", { count: firing.length - 20 })}` : ""),
          },
        ]
      : [];
  return {
    id: opts.id,
    kind: "summary",
    hostname: opts.hostname,
    at: now,
    alert: {
      fingerprint: sampleKey(DAILY_SUMMARY_ALERTNAME, {}),
      alertname: DAILY_SUMMARY_ALERTNAME,
      labels: { alertname: DAILY_SUMMARY_ALERTNAME, hostname: opts.hostname, severity: critical > 0 ? "critical" : "warning" },
      severity: critical > 0 ? "critical" : "warning",
      maxSeverity: critical > 0 ? "critical" : "warning",
      display: m.t("summary.display"),
      value: firing.length,
      threshold: 0,
      unit: "count",
      activeSince: counts.since,
      firingSince: counts.since,
      peak: firing.length,
      summary: state,
    },
    details: { facts, ...(sections.length > 0 ? { sections } : {}) },
    ...(m.locale !== "en" ? { locale: m.locale } : {}),
  };
}

/** "CPU 12% · memory 40% · fullest disk / 71%", from this cycle's samples. */
function hostNow(samples: readonly Sample[], m: Messages): string {
  const parts: string[] = [];
  const cpu = samples.find((s) => isSampleOf(s, HOST_CPU));
  if (cpu) parts.push(m.t("summary.hostNow.cpu", { value: m.value(cpu.value, METRICS[HOST_CPU].unit) }));
  const mem = samples.find((s) => isSampleOf(s, HOST_MEMORY));
  if (mem) parts.push(m.t("summary.hostNow.memory", { value: m.value(mem.value, METRICS[HOST_MEMORY].unit) }));
  const disks = samples.filter((s) => isSampleOf(s, HOST_DISK)).sort((a, b) => b.value - a.value);
  if (disks[0]) parts.push(m.t("summary.hostNow.disk", { mount: String(disks[0].labels.mount), value: m.value(disks[0].value, METRICS[HOST_DISK].unit) }));
  return parts.join(" · ");
}
