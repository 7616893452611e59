import { describe, expect, it } from "vitest";
import { applyFlapping, type FlapMemory } from "../../src/alert/flapping.js";
import type { AlertEvent } from "../../src/alert/state.js";
import { notificationTitle } from "../../src/alert/title.js";
import { sampleNotification } from "../support/sample-notification.js";

const MIN = 60_000;
const ev = (kind: AlertEvent["kind"]): AlertEvent => ({ kind, alert: sampleNotification().alert });
const settings = { max: 4, withinMs: 30 * MIN };

/** Feeds one event (or none) per minute; returns what goes out, as "minute:kind". */
function run(kinds: Array<AlertEvent["kind"] | null>) {
  let memory: FlapMemory = {};
  const out: string[] = [];
  kinds.forEach((k, i) => {
    const r = applyFlapping(memory, k ? [ev(k)] : [], i * MIN, settings);
    memory = r.memory;
    for (const e of r.events) out.push(`${i}:${e.kind}`);
  });
  return { out, memory };
}

describe("applyFlapping", () => {
  it("lets an alert fire and resolve up to max times in the window", () => {
    expect(run(["firing", "resolved", "firing", "resolved", "firing", "resolved", "firing", "resolved"]).out).toEqual([
      "0:firing",
      "1:resolved",
      "2:firing",
      "3:resolved",
      "4:firing",
      "5:resolved",
      "6:firing",
      "7:resolved",
    ]);
  });

  it("reports the fifth firing as flapping once, holds the rest, and sends the final state once stable", () => {
    const kinds: Array<AlertEvent["kind"] | null> = [
      "firing",
      "resolved",
      "firing",
      "resolved",
      "firing",
      "resolved",
      "firing",
      "resolved",
      "firing",
      "resolved",
      "firing",
      "resolved",
    ];
    for (let i = 0; i < 31; i++) kinds.push(null);
    const { out, memory } = run(kinds);
    expect(out.slice(0, 9)).toEqual(["0:firing", "1:resolved", "2:firing", "3:resolved", "4:firing", "5:resolved", "6:firing", "7:resolved", "8:flapping"]);
    // Last change at minute 11; stable for 30 minutes at minute 41: the resolved state, once.
    expect(out.slice(9)).toEqual(["41:resolved"]);
    expect(memory).toEqual({});
  });

  it("titles a flapping notification with the count and window", () => {
    const n = sampleNotification({ kind: "flapping", alert: { flapCount: 5, flapWithinMs: 30 * MIN } });
    expect(notificationTitle(n)).toBe("[web-1] FLAPPING: CPU fired 5 times in 30m; no more messages about it until it has been stable that long");
  });
});
