/**
 * Flapping: an alert that fires and resolves more than `max` times within
 * `within` is reported once as flapping, then held (nothing sent for it) until
 * it has been stable for `within`; then its state at that time is sent (firing,
 * or resolved). Pure: the flap memory is part of the agent's saved state.
 */
import type { AlertSnapshot } from "../model/notification.js";
import type { AlertEvent } from "./state.js";

export interface FlapRecord {
  /** When it fired, within the window. */
  fires: number[];
  lastChange: number;
  flappingSince: number | null;
  /** Its latest state and snapshot while held, to send when it is stable again. */
  held: { kind: "firing" | "resolved"; alert: AlertSnapshot } | null;
}

export type FlapMemory = Record<string, FlapRecord>;

export interface FlapSettings {
  max: number;
  withinMs: number;
}

export function applyFlapping(memory: FlapMemory, events: readonly AlertEvent[], now: number, s: FlapSettings): { events: AlertEvent[]; memory: FlapMemory } {
  const next: FlapMemory = {};
  for (const [fp, r] of Object.entries(memory)) next[fp] = { ...r, fires: r.fires.filter((t) => now - t < s.withinMs) };
  const out: AlertEvent[] = [];

  for (const event of events) {
    const fp = event.alert.fingerprint;
    const changes = event.kind === "firing" || event.kind === "resolved";
    let r = next[fp];
    if (changes) {
      r ??= { fires: [], lastChange: now, flappingSince: null, held: null };
      r.lastChange = now;
      if (event.kind === "firing") r.fires.push(now);
      next[fp] = r;
    }
    if (r?.flappingSince != null) {
      // Held: remember where it stands, say nothing.
      if (event.kind !== "reminder") r.held = { kind: event.kind === "resolved" ? "resolved" : "firing", alert: event.alert };
      continue;
    }
    if (r && event.kind === "firing" && r.fires.length > s.max) {
      r.flappingSince = now;
      r.held = { kind: "firing", alert: event.alert };
      out.push({ kind: "flapping", alert: { ...event.alert, flapCount: r.fires.length, flapWithinMs: s.withinMs } });
      continue;
    }
    out.push(event);
  }

  // Stable again for a whole window: say where it stands, and forget the flapping.
  for (const [fp, r] of Object.entries(next)) {
    if (r.flappingSince !== null && now - r.lastChange >= s.withinMs) {
      if (r.held) out.push({ kind: r.held.kind, alert: r.held.alert });
      r.flappingSince = null;
      r.held = null;
      r.fires = [];
    }
    if (r.flappingSince === null && r.fires.length === 0 && now - r.lastChange >= s.withinMs) delete next[fp];
  }
  return { events: out, memory: next };
}
