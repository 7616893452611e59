/**
 * Stage 4, enrich: each event becomes a notification with what helps the
 * reader act on it: the rule's facts and sections, the likely cause (a full
 * disk behind a dead container), the top processes behind a CPU or memory
 * alert, the containers that died with a reboot.
 */

import { CONTAINER_DEATHS, diskFullCause } from "../alert/likely-cause.js";
import type { AlertEvent } from "../alert/state.js";
import { detailsFor, type Evaluation } from "../evaluate/evaluate.js";
import { randomId } from "../hash.js";
import { type Messages, messages } from "../i18n/messages.js";
import { HOST_REBOOTED } from "../model/metrics.js";
import type { Fact, Notification, NotificationDetails, ProcessUsage } from "../model/notification.js";
import { type Sample, writesToOf } from "../model/sample.js";
import type { Lifecycle } from "./cycle-data.js";

/** The busiest processes on the host by CPU or memory (collect/host/processes.ts `topProcesses`). */
export type TopProcesses = (by: "cpu" | "memory", limit: number) => Promise<ProcessUsage[]>;

export interface EnrichContext {
  hostname: string;
  evaluation: Evaluation;
  samples: readonly Sample[];
  topProcesses: TopProcesses;
}

/**
 * Builds the details of messages for one cycle; each kind of process list is
 * read once per cycle, however many alerts want it.
 */
export class Enricher {
  private readonly processes = new Map<"cpu" | "memory", Promise<NotificationDetails["topProcesses"]>>();

  constructor(private readonly ctx: EnrichContext) {}

  /** The words of the config's `locale` (evaluation chose them), English when it has none. */
  get messages(): Messages {
    return this.ctx.evaluation.messages ?? messages();
  }

  /** The cycle's events, as notifications made at `now`. */
  async notifications(events: readonly AlertEvent[], held: Lifecycle["held"], now: number): Promise<Notification[]> {
    const out: Notification[] = [];
    for (const event of events) out.push(this.notification(event, await this.details(event, held), now));
    return out;
  }

  notification(event: AlertEvent, details: NotificationDetails, now: number): Notification {
    // English is the default and stays unwritten, so an English notification is what it always was.
    const locale = this.messages.locale;
    return { id: randomId(), kind: event.kind, hostname: this.ctx.hostname, at: now, alert: event.alert, details, ...(locale !== "en" ? { locale } : {}) };
  }

  /** Facts, sections, top processes and likely cause for a message about this event. */
  async details(event: AlertEvent, held: Lifecycle["held"]): Promise<NotificationDetails> {
    const { evaluation, samples } = this.ctx;
    const fp = event.alert.fingerprint;
    const details: NotificationDetails = detailsFor(evaluation, fp);
    if (event.alert.alertname === HOST_REBOOTED && event.kind === "firing") details.facts.push(...diedWithReboot(held, this.messages));
    if (CONTAINER_DEATHS.has(event.alert.alertname) && event.kind !== "resolved") {
      const writesTo = writesToOf(evaluation.sources.get(fp)?.sample);
      const cause = diskFullCause(writesTo, samples, this.messages);
      if (cause) details.facts.unshift(cause);
    }
    const by = evaluation.sources.get(fp)?.rule.topProcesses;
    if (by && event.kind !== "resolved") {
      if (!this.processes.has(by)) {
        this.processes.set(
          by,
          this.ctx
            .topProcesses(by, 5)
            .then((processes) => ({ by, processes }))
            .catch(() => undefined),
        );
      }
      const top = await this.processes.get(by);
      if (top) details.topProcesses = top;
    }
    return details;
  }
}

/** One line of the reboot message: the containers whose deaths it explains (each reported on its own only if it stays down). */
function diedWithReboot(held: Lifecycle["held"], m: Messages): Fact[] {
  const names = [...new Set(held.filter((h) => h.by === `inhibited by ${HOST_REBOOTED}` && h.event.kind === "firing").map((h) => h.event.alert.labels.container ?? "?"))].sort();
  if (names.length === 0) return [];
  return [{ label: m.t("enrich.diedWithReboot"), value: m.t("enrich.diedWithReboot.value", { names: names.join(m.t("list.sep")) }) }];
}
