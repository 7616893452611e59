/**
 * The outbox's owner (notify/outbox.ts), in memory, with a journal that
 * records each write: every change goes through it, and a journal that fails
 * (a full disk) never stops delivery.
 */
import { describe, expect, it } from "vitest";
import { setLogSink } from "../../src/log.js";
import { FAILED_KEPT, Outbox, type OutboxJournal } from "../../src/notify/outbox.js";
import { sampleNotification } from "../support/sample-notification.js";

function recording(fail = false) {
  const writes: string[] = [];
  const rec = (what: string) => () => {
    writes.push(what);
    if (fail) throw new Error("SQLITE_FULL: database or disk is full");
  };
  const journal: OutboxJournal = {
    delivered: rec("delivered"),
    attempted: rec("attempted"),
    gaveUp: rec("gaveUp"),
    markReported: rec("markReported"),
    forgetReceiversExcept: rec("forget"),
  };
  return { writes, journal };
}

describe("Outbox", () => {
  it("queues a notification for its receivers in order, and lets it go once every receiver accepted it", () => {
    const { writes, journal } = recording();
    const outbox = new Outbox({ outbox: [], failed: [] }, () => journal);
    expect(outbox.enqueue(sampleNotification({ id: "none" }), [], 0)).toBeUndefined();
    outbox.enqueue(sampleNotification({ id: "a" }), ["s", "w"], 10);
    outbox.enqueue(sampleNotification({ id: "b" }), ["s"], 20);
    expect(outbox.queueOf("s").map((q) => q.entry.notification.id)).toEqual(["a", "b"]);
    const [a] = outbox.queueOf("s");
    outbox.attempted([a!], 30);
    outbox.delivered([a!]);
    expect(outbox.entries.map((e) => [e.notification.id, e.pending.map((d) => [d.receiver, d.attempts])])).toEqual([
      ["a", [["w", 0]]],
      ["b", [["s", 0]]],
    ]);
    outbox.delivered(outbox.queueOf("w"));
    expect(outbox.entries.map((e) => e.notification.id)).toEqual(["b"]);
    expect(writes).toEqual(["delivered", "delivered"]);
  });

  it("gives up into the failed list (the last FAILED_KEPT), and marks a failure reported once every receiver was told", () => {
    const { journal } = recording();
    const outbox = new Outbox({ outbox: [], failed: [] }, () => journal);
    for (let i = 0; i < FAILED_KEPT + 5; i++) outbox.enqueue(sampleNotification({ id: `n${i}` }), ["s"], i);
    outbox.giveUp(outbox.queueOf("s"), "s", "Slack said no_service", 500);
    expect(outbox.entries).toEqual([]);
    expect(outbox.failed).toHaveLength(FAILED_KEPT);
    expect(outbox.failed[0]!.notificationId).toBe("n5");
    expect(outbox.failedSince(500)).toBe(FAILED_KEPT);
    const unreported = outbox.unreportedFor("s");
    outbox.reported(unreported, "s", 600, ["s", "w"]);
    expect(outbox.unreportedFor("s")).toEqual([]);
    expect(outbox.unreportedFor("w")).toHaveLength(FAILED_KEPT);
    expect(outbox.failed[0]!.reportedAt).toBeNull();
    outbox.reported(outbox.unreportedFor("w"), "w", 700, ["s", "w"]);
    expect(outbox.failed.every((f) => f.reportedAt === 700)).toBe(true);
  });

  it("drops what waits for receivers no longer configured, and cuts stored waits longer than allowed", () => {
    const { writes, journal } = recording();
    const outbox = new Outbox({ outbox: [], failed: [] }, () => journal);
    outbox.enqueue(sampleNotification({ id: "a" }), ["old"], 0);
    outbox.enqueue(sampleNotification({ id: "b" }), ["old", "s"], 0);
    outbox.retryAt(outbox.queueOf("s"), 99_999_999, "Retry-After: 3 years");
    expect(outbox.dropReceiversExcept(new Set(["s"]))).toBe(2);
    expect(outbox.entries.map((e) => e.notification.id)).toEqual(["b"]);
    expect([...outbox.capWaits(1000, () => 600_000)]).toEqual([["s", 1]]);
    expect(outbox.entries[0]!.pending[0]!.nextAttemptAt).toBe(601_000);
    expect(writes).toEqual(["attempted", "forget", "attempted"]);
  });

  it("goes on from memory when the journal cannot be written, and says so in the log", () => {
    const logs: string[] = [];
    setLogSink((l) => logs.push(l));
    try {
      const { journal } = recording(true);
      const outbox = new Outbox({ outbox: [], failed: [] }, () => journal);
      outbox.enqueue(sampleNotification({ id: "a" }), ["s"], 0);
      expect(() => outbox.delivered(outbox.queueOf("s"))).not.toThrow();
      expect(outbox.entries).toEqual([]);
      expect(logs.join("\n")).toMatch(/could not record a delivery in the data directory/);
    } finally {
      setLogSink((line) => process.stderr.write(line + "\n"));
    }
  });
});
