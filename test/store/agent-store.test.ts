/**
 * The agent's state in the database (real SQLite): what a cycle commits is
 * all there or not at all, and the outbox's journal keeps the disk in step
 * with what receivers accepted.
 */

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { AlertRecord } from "../../src/alert/state.js";
import { StorageError } from "../../src/errors.js";
import { FAILED_KEPT, type OutboxEntry } from "../../src/notify/outbox.js";
import { AgentStore, QUIET_COMMIT_EVERY_MS, readState, type StoredState } from "../../src/store/agent-store.js";
import { openDatabase } from "../../src/store/database.js";
import { statement } from "../../src/store/statements.js";
import { sampleNotification } from "../support/sample-notification.js";

function open() {
  const db = openDatabase(join(mkdtempSync(join(tmpdir(), "lookout-agent-store-")), "data"));
  return { db, store: new AgentStore(db) };
}

const alert = (fp: string): AlertRecord =>
  ({
    fingerprint: fp,
    alertname: "host_disk",
    labels: { alertname: "host_disk" },
    display: "Disk",
    unit: "%",
    state: "firing",
    severity: "warning",
    maxSeverity: "warning",
    activeSince: 1,
    firingSince: 1,
    criticalSince: null,
    value: 91,
    threshold: 90,
    peak: 91,
    lastNotifiedAt: 1,
    updatedAt: 1,
  }) as AlertRecord;

const entry = (id: string, receivers: string[]): OutboxEntry => ({
  notification: sampleNotification({ id }),
  pending: receivers.map((receiver) => ({ receiver, attempts: 0, nextAttemptAt: 0, firstAttemptAt: null, lastError: null })),
});

function cycle(state: StoredState, alerts: AlertRecord[], added: OutboxEntry[], at: number): OutboxEntry[] {
  state.alerts = alerts;
  state.lastCycleAt = at;
  state.collectors.host = { savedAt: at, data: { ticks: at } };
  state.flap = { a: { fires: [at], lastChange: at, flappingSince: null, held: null } };
  state.outbox.push(...added);
  return added;
}

describe("AgentStore", () => {
  it("stores a cycle's alerts, counters, flap memory and notifications, and reads them back in order", () => {
    const { db, store } = open();
    const state = store.load();
    expect(state).toEqual({ alerts: [], collectors: {}, outbox: [], failed: [], lastCycleAt: null, flap: {}, inhibitors: {}, summary: null });
    store.commitCycle(state, cycle(state, [alert("a"), alert("b")], [entry("n1", ["s"]), entry("n2", ["s", "w"])], 100));
    store.commitCycle(state, cycle(state, [alert("b")], [entry("n3", ["w"])], 200));
    const back = readState(db);
    expect(back.alerts.map((a) => a.fingerprint)).toEqual(["b"]);
    expect(back.lastCycleAt).toBe(200);
    expect(back.collectors).toEqual({ host: { savedAt: 200, data: { ticks: 200 } } });
    expect(back.flap).toEqual(state.flap);
    expect(back.outbox.map((e) => [e.notification.id, e.pending.map((d) => d.receiver)])).toEqual([
      ["n1", ["s"]],
      ["n2", ["s", "w"]],
      ["n3", ["w"]],
    ]);
  });

  it("waits for the disk only for a cycle that queued notifications, and leaves the database waiting for it after every commit", () => {
    const { db, store } = open();
    const state = store.load();
    const levels: unknown[] = [];
    // The store sets the level on statements prepared once (store/transactions.ts setSynchronous): watch those.
    for (const mode of ["NORMAL", "FULL"]) {
      const st = statement(db, `PRAGMA synchronous = ${mode}`);
      const run = st.run.bind(st);
      st.run = ((...args: unknown[]) => {
        levels.push(mode);
        return run(...args);
      }) as typeof st.run;
    }
    store.commitCycle(state, cycle(state, [alert("a")], [], 100));
    expect(levels).toEqual(["NORMAL", "FULL"]);
    levels.length = 0;
    store.commitCycle(state, cycle(state, [alert("a")], [entry("n1", ["s"])], 200));
    expect(levels).toEqual([]); // under the database's own FULL
    const bad = { ...state, flap: { x: { fires: [10n] } } } as unknown as typeof state; // JSON cannot hold a BigInt
    expect(() => store.commitCycle(bad, [])).toThrow(StorageError);
    expect(db.pragma("synchronous", { simple: true })).toBe(2); // FULL again after a failed commit
    expect(readState(db).outbox.map((e) => e.notification.id)).toEqual(["n1"]);
  });

  it("writes only what changed since its last commit: a quiet cycle is one row, the time of the check", () => {
    const { db, store } = open();
    const state = store.load();
    const changes = () => db.prepare("SELECT total_changes()").pluck().get() as number;
    cycle(state, [alert("a")], [], 100);
    state.inhibitors = { x: { since: 1 } } as unknown as StoredState["inhibitors"];
    store.commitCycle(state, []);
    const before = changes();
    const collectors = state.collectors;
    const quiet = (at: number) => store.commitCycle({ ...state, alerts: [alert("a")], flap: { ...state.flap }, collectors: { ...collectors }, lastCycleAt: at }, []);
    // Nothing but the time changed, less than QUIET_COMMIT_EVERY_MS after the last written: nothing is written.
    quiet(100 + QUIET_COMMIT_EVERY_MS - 1);
    expect(changes() - before).toBe(0);
    expect(readState(db).lastCycleAt).toBe(100);
    quiet(100 + QUIET_COMMIT_EVERY_MS);
    expect(changes() - before).toBe(1); // last_cycle_at only: the same alerts, flap memory, inhibitors, the same collector memory
    expect(readState(db).lastCycleAt).toBe(100 + QUIET_COMMIT_EVERY_MS);
    quiet(150); // the clock set back: written
    expect(readState(db).lastCycleAt).toBe(150);
    // Queued notifications are written at once, whatever the time.
    store.commitCycle({ ...state, alerts: [alert("a")], collectors: { ...collectors }, lastCycleAt: 151 }, [entry("q1", ["s"])]);
    expect(readState(db)).toMatchObject({ lastCycleAt: 151, outbox: [{ notification: { id: "q1" } }] });
    // What changed is written: an alert's value, a collector's new memory.
    const moved = { ...alert("a"), value: 95 };
    store.commitCycle({ ...state, alerts: [moved], collectors: { host: { savedAt: 300, data: { ticks: 300 } } }, lastCycleAt: 300 }, []);
    const back = readState(db);
    expect(back.alerts[0]!.value).toBe(95);
    expect(back.collectors.host).toEqual({ savedAt: 300, data: { ticks: 300 } });
    expect(back.inhibitors).toEqual({ x: { since: 1 } });
  });

  it("after a commit that failed, writes again what that commit would have written", () => {
    const { db, store } = open();
    const state = store.load();
    store.commitCycle(state, cycle(state, [alert("a")], [], 100));
    const bad = entry("n2", ["s"]);
    (bad.notification.details as unknown as { facts: unknown }).facts = [{ label: "x", value: 10n }]; // JSON cannot hold a BigInt
    expect(() => store.commitCycle({ ...state, alerts: [alert("z")] }, [bad])).toThrow(StorageError);
    store.commitCycle({ ...state, alerts: [alert("z")], lastCycleAt: 300 }, []);
    expect(readState(db).alerts.map((a) => a.fingerprint)).toEqual(["z"]);
  });

  it("commits a cycle whole or not at all: a failure leaves the previous state", () => {
    const { db, store } = open();
    const state = store.load();
    store.commitCycle(state, cycle(state, [alert("a")], [entry("n1", ["s"])], 100));
    const bad = entry("n2", ["s"]);
    (bad.notification.details as unknown as { facts: unknown }).facts = [{ label: "x", value: 10n }]; // JSON cannot hold a BigInt
    expect(() => store.commitCycle(state, cycle(state, [alert("a"), alert("z")], [bad], 200))).toThrow(StorageError);
    const back = readState(db);
    expect(back.alerts.map((a) => a.fingerprint)).toEqual(["a"]);
    expect(back.lastCycleAt).toBe(100);
    expect(back.outbox.map((e) => e.notification.id)).toEqual(["n1"]);
  });

  it("removes a delivery once accepted, and the notification once every receiver has it", () => {
    const { db, store } = open();
    const state = store.load();
    const [n1, n2] = cycle(state, [], [entry("n1", ["s", "w"]), entry("n2", ["s"])], 1);
    store.commitCycle(state, [n1!, n2!]);
    store.delivered([{ entry: n1!, delivery: n1!.pending[0]! }]);
    expect(readState(db).outbox.map((e) => [e.notification.id, e.pending.map((d) => d.receiver)])).toEqual([
      ["n1", ["w"]],
      ["n2", ["s"]],
    ]);
    store.delivered([
      { entry: n1!, delivery: n1!.pending[1]! },
      { entry: n2!, delivery: n2!.pending[0]! },
    ]);
    expect(readState(db).outbox).toEqual([]);
    expect(db.prepare("SELECT COUNT(*) FROM notifications").pluck().get()).toBe(0);
  });

  it("records attempts, and moves what was given up on to the failed list (the last 100), to be reported once", () => {
    const { db, store } = open();
    const state = store.load();
    const [n1] = cycle(state, [], [entry("n1", ["s"])], 1);
    store.commitCycle(state, [n1!]);
    Object.assign(n1!.pending[0]!, { attempts: 2, nextAttemptAt: 5000, firstAttemptAt: 1000, lastError: "Slack answered 500" });
    store.attempted([{ entry: n1!, delivery: n1!.pending[0]! }]);
    expect(readState(db).outbox[0]!.pending).toEqual([{ receiver: "s", attempts: 2, nextAttemptAt: 5000, firstAttemptAt: 1000, lastError: "Slack answered 500" }]);
    const failures = [{ notificationId: "n1", title: "t", receiver: "s", error: "gone", at: 9, reportedAt: null }];
    store.gaveUp([{ entry: n1!, delivery: n1!.pending[0]! }], failures);
    const back = readState(db);
    expect(back.outbox).toEqual([]);
    expect(back.failed).toEqual([{ notificationId: "n1", title: "t", receiver: "s", error: "gone", at: 9, reportedAt: null }]);
    store.markReported(failures, 42);
    expect(readState(db).failed[0]!.reportedAt).toBe(42);
    const many = Array.from({ length: FAILED_KEPT + 20 }, (_, i) => ({ notificationId: `x${i}`, title: "t", receiver: "s", error: "e", at: i }));
    store.gaveUp([], many);
    const kept = readState(db).failed;
    expect(kept).toHaveLength(FAILED_KEPT);
    expect(kept.at(-1)!.notificationId).toBe(`x${FAILED_KEPT + 19}`);
  });

  it("drops what waits for receivers no longer configured", () => {
    const { db, store } = open();
    const state = store.load();
    store.commitCycle(state, cycle(state, [], [entry("n1", ["old", "s"]), entry("n2", ["old"])], 1));
    store.forgetReceiversExcept(new Set(["s"]));
    expect(readState(db).outbox.map((e) => [e.notification.id, e.pending.map((d) => d.receiver)])).toEqual([["n1", ["s"]]]);
  });
});
