/**
 * Routes: which receivers get a notification, and how often each is reminded
 * of an alert that goes on firing. Pure. Modelled on Alertmanager's route
 * tree, flattened to a list: routes are tried in order; a route takes a
 * notification when its severity is at least `min_severity` and every
 * matcher holds; the first route that takes it ends the search unless it says
 * `continue: true`.
 *
 * With no routes configured, every receiver has a route of its own that takes
 * everything (its own `min_severity` filters, in the dispatcher), reminded
 * every notify.repeat_interval: the behaviour of a config without routes.
 *
 * Reminders: the lifecycle (alert/state.ts) makes one every `reminderStepMs`
 * (the shortest route interval); a route gets it only when its own
 * repeat_interval has passed since it was last told of the alert.
 */

import { atLeast, type Severity } from "../config/names.js";
import type { LookoutConfig } from "../config/schema.js";
import { type LabelMatcher, matchesAll, parseMatcher } from "../label-matchers.js";
import type { Notification } from "../model/notification.js";

/** What routing reads of a notification: its kind and its alert. */
type Routable = Pick<Notification, "kind" | "alert">;

/** A resolved notification counts as its alert's highest severity (it goes where its firing went). */
export function meetsSeverity(n: Routable, min: Severity): boolean {
  const sev = n.kind === "resolved" ? n.alert.maxSeverity : n.alert.severity;
  return atLeast(sev, min);
}

export interface Route {
  /** Identifies the route in an alert's memory of when each route was last told: `routes[i]:receiver`. */
  key: string;
  receiver: string;
  minSeverity: Severity;
  matchers: LabelMatcher[];
  /** 0 = no reminders. */
  repeatIntervalMs: number;
  continue: boolean;
}

/** The routes in force: `notify.routes`, or one per receiver (by name) when there are none. */
export function routesFrom(config: LookoutConfig, receivers: readonly string[]): Route[] {
  const configured = config.notify.routes;
  if (configured.length > 0) {
    return configured.map((r, i) => ({
      key: `routes[${i}]:${r.receiver}`,
      receiver: r.receiver,
      minSeverity: r.min_severity,
      matchers: r.match.map(parseMatcher),
      repeatIntervalMs: r.repeat_interval ?? config.notify.repeat_interval,
      continue: r.continue,
    }));
  }
  return receivers.map((receiver) => ({
    key: receiver,
    receiver,
    minSeverity: "info",
    matchers: [],
    repeatIntervalMs: config.notify.repeat_interval,
    continue: true,
  }));
}

/** How often the lifecycle should offer reminders: the shortest route interval (0 = never). */
export function reminderStepMs(routes: readonly Route[], fallbackMs: number): number {
  const intervals = routes.map((r) => r.repeatIntervalMs).filter((ms) => ms > 0);
  if (routes.length === 0) return fallbackMs;
  return intervals.length === 0 ? 0 : Math.min(...intervals);
}

/** The labels routes match on: a resolved alert is routed as its highest severity, so it goes where its firing went. */
function routingLabels(n: Routable): { labels: Record<string, string>; severity: Severity } {
  const severity = n.kind === "resolved" ? n.alert.maxSeverity : n.alert.severity;
  return { labels: { ...n.alert.labels, severity }, severity };
}

/** The routes that take this notification, before reminder pacing. */
export function matchingRoutes(n: Routable, routes: readonly Route[]): Route[] {
  const { labels, severity } = routingLabels(n);
  const out: Route[] = [];
  for (const r of routes) {
    if (!atLeast(severity, r.minSeverity) || !matchesAll(r.matchers, labels)) continue;
    out.push(r);
    if (!r.continue) break;
  }
  return out;
}

export interface Routed {
  /** Receivers to queue the notification for (each once). */
  receivers: string[];
  /** The alert's memory of when each route was last told, updated. */
  toldAt: Record<string, number>;
}

/**
 * Where a notification goes. `toldAt` is the alert's memory of when each route
 * was last told of it (kept on the alert record); a reminder goes only to the
 * routes whose own repeat_interval has passed since then.
 */
export function route(n: Notification, routes: readonly Route[], toldAt: Readonly<Record<string, number>> | undefined, now: number): Routed {
  const memory: Record<string, number> = { ...toldAt };
  const receivers: string[] = [];
  for (const r of matchingRoutes(n, routes)) {
    if (n.kind === "reminder") {
      const last = memory[r.key] ?? n.alert.firingSince;
      if (r.repeatIntervalMs <= 0 || now - last < r.repeatIntervalMs) continue;
    }
    memory[r.key] = now;
    if (!receivers.includes(r.receiver)) receivers.push(r.receiver);
  }
  return { receivers, toldAt: memory };
}

/**
 * The receivers that should know of a firing alert now: the receivers of the
 * routes that take it (every receiver without routes) whose min_severity it
 * meets. An alert that fires while a receiver is missing, or routed elsewhere,
 * is told to that receiver once it is there (agent: late receivers).
 */
export function receiversFor(n: Routable, routes: readonly Route[], receivers: ReadonlyArray<{ name: string; minSeverity: Severity }>): string[] {
  const routed = new Set(matchingRoutes(n, routes).map((r) => r.receiver));
  return receivers.filter((r) => routed.has(r.name) && meetsSeverity(n, r.minSeverity)).map((r) => r.name);
}
