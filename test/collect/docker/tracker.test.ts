import { describe, expect, it } from "vitest";
import { ContainerTracker, type ContainerView, newView } from "../../../src/collect/docker/tracker.js";

const T = 1_800_000_000_000;

function view(o: Partial<ContainerView> = {}): ContainerView {
  return newView("c1", { name: "api", image: "shop/api:1", startedAt: T, ...o });
}

const ev = (action: string, time: number, attributes: Record<string, string> = {}) => ({ id: "c1", action, time, attributes });

describe("ContainerTracker", () => {
  it("latches a crash from a die event with its exit code and how long it ran", () => {
    const t = new ContainerTracker();
    t.applyView(view(), T);
    expect(t.onEvent(ev("die", T + 5000, { exitCode: "3" }))).toEqual({ kind: "crash" });
    const rec = t.get("c1")!;
    expect(rec.crash).toMatchObject({ at: T + 5000, exitCode: 3, ranForMs: 5000, reconciled: false });
    t.setLogs("c1", ["boom"]);
    expect(rec.crash!.logs).toEqual(["boom"]);
    // Inspection after the event does not report the same exit again.
    expect(t.applyView(view({ status: "exited", exitCode: 3, finishedAt: T + 5000 }), T + 6000)).toBe(false);
  });

  it("does not call a requested stop a crash: kill/stop before die", () => {
    const t = new ContainerTracker();
    t.applyView(view({ restartPolicy: "always" }), T);
    t.onEvent(ev("kill", T + 1000, { signal: "15" }));
    expect(t.onEvent(ev("die", T + 1200, { exitCode: "143" }))).toEqual({ kind: "requested" });
    expect(t.get("c1")!.crash).toBeNull();
    expect(t.get("c1")!.stoppedByRequest).toBe(true);
  });

  it("does not call exit 0 or a lookout.expect=exit container a crash", () => {
    const t = new ContainerTracker();
    t.applyView(view(), T);
    expect(t.onEvent(ev("die", T + 1000, { exitCode: "0" }))).toEqual({ kind: "clean" });
    const t2 = new ContainerTracker();
    t2.applyView(view({ labels: { "lookout.expect": "exit" } }), T);
    expect(t2.onEvent(ev("die", T + 1000, { exitCode: "1" }))).toEqual({ kind: "expected" });
    expect(t2.get("c1")!.crash).toBeNull();
  });

  it("attributes a die right after an oom event to the OOM killer, not a crash", () => {
    const t = new ContainerTracker();
    t.applyView(view({ memoryLimit: 16 << 20 }), T);
    t.onEvent(ev("oom", T + 1000));
    expect(t.get("c1")!.oom).toMatchObject({ died: false });
    expect(t.onEvent(ev("die", T + 1050, { exitCode: "137" }))).toEqual({ kind: "oom" });
    expect(t.get("c1")!.oom).toMatchObject({ died: true, exitCode: 137, memoryLimit: 16 << 20 });
    expect(t.get("c1")!.crash).toBeNull();
  });

  it("finds an exit the event stream missed, once", () => {
    const t = new ContainerTracker();
    t.applyView(view(), T);
    expect(t.applyView(view({ status: "exited", exitCode: 2, finishedAt: T + 60_000 }), T + 90_000)).toBe(true);
    expect(t.get("c1")!.crash).toMatchObject({ exitCode: 2, reconciled: true });
    expect(t.applyView(view({ status: "exited", exitCode: 2, finishedAt: T + 60_000 }), T + 100_000)).toBe(false);
    // OOMKilled in the inspection makes it an OOM kill.
    const t2 = new ContainerTracker();
    t2.applyView(view(), T);
    t2.applyView(view({ status: "exited", exitCode: 137, oomKilled: true, finishedAt: T + 1000 }), T + 2000);
    expect(t2.get("c1")!.oom).toMatchObject({ died: true, exitCode: 137 });
    // SIGTERM is what docker stop leaves: without the event, not a crash.
    const t3 = new ContainerTracker();
    t3.applyView(view(), T);
    expect(t3.applyView(view({ status: "exited", exitCode: 143, finishedAt: T + 1000 }), T + 2000)).toBe(false);
  });

  it("takes a SIGTERM exit for a death, not a docker stop, when Docker was not answering then (nobody could ask)", () => {
    const t = new ContainerTracker();
    t.applyView(view(), T);
    const outage = (at: number) => at >= T + 500 && at <= T + 1500;
    expect(t.applyView(view({ status: "exited", exitCode: 143, finishedAt: T + 1000 }), T + 2000, outage)).toBe(true);
    expect(t.get("c1")!.crash).toMatchObject({ exitCode: 143, reconciled: true, at: T + 1000 });
    const t2 = new ContainerTracker();
    t2.applyView(view(), T);
    expect(t2.applyView(view({ status: "exited", exitCode: 143, finishedAt: T + 3000 }), T + 4000, outage)).toBe(false); // after Docker answered: a stop
  });

  it("on first sight, reports an exit of the last day but not an old one", () => {
    const t = new ContainerTracker();
    expect(t.applyView(view({ status: "exited", exitCode: 1, finishedAt: T - 3600_000 }), T)).toBe(true);
    const t2 = new ContainerTracker();
    expect(t2.applyView(view({ status: "exited", exitCode: 1, finishedAt: T - 3 * 86_400_000 }), T)).toBe(false);
    expect(t2.get("c1")!.crash).toBeNull();
  });

  it("counts restarts from events, and restarts it did not see from RestartCount, without double counting", () => {
    const t = new ContainerTracker();
    t.applyView(view({ restartPolicy: "always" }), T);
    for (let i = 1; i <= 3; i++) {
      t.onEvent(ev("die", T + i * 1000, { exitCode: "1" }));
      t.onEvent(ev("start", T + i * 1000 + 100));
    }
    const rec = t.get("c1")!;
    expect(t.restartsWithin(rec, 600_000, T + 5000)).toBe(3);
    t.applyView(view({ restartPolicy: "always", restartCount: 3 }), T + 6000);
    expect(t.restartsWithin(rec, 600_000, T + 6000)).toBe(3);
    t.applyView(view({ restartPolicy: "always", restartCount: 5 }), T + 7000);
    expect(t.restartsWithin(rec, 600_000, T + 7000)).toBe(5);
    expect(t.restartsWithin(rec, 600_000, T + 700_000)).toBe(0);
  });

  it("clears a crash once the container has run again for resolve_after", () => {
    const t = new ContainerTracker();
    t.applyView(view({ restartPolicy: "always" }), T);
    t.onEvent(ev("die", T + 1000, { exitCode: "1" }));
    t.onEvent(ev("start", T + 1500));
    t.settle(T + 30_000, { crashMs: 60_000, oomMs: 60_000 });
    expect(t.get("c1")!.crash).not.toBeNull();
    t.settle(T + 62_000, { crashMs: 60_000, oomMs: 60_000 });
    expect(t.get("c1")!.crash).toBeNull();
  });

  it("keeps a removed container with a latched failure for one more report", () => {
    const t = new ContainerTracker();
    t.applyView(view(), T);
    t.onEvent(ev("die", T + 1000, { exitCode: "1" }));
    t.onEvent(ev("destroy", T + 1100));
    expect(t.get("c1")!.removedAt).toBe(T + 1100);
    // The next listing no longer shows it: still kept for its one report.
    t.forgetMissing(new Set(), T + 2000);
    expect(t.get("c1")!.removedAt).toBe(T + 1100);
    t.sweepRemoved();
    expect(t.get("c1")).toBeUndefined();
    // Without a failure, a removed container is simply forgotten.
    t.applyView(view({ id: "c2" }), T);
    t.forgetMissing(new Set(), T + 5000);
    expect(t.get("c2")).toBeUndefined();
  });

  it("computes CPU like docker stats from two sweeps, and memory without page cache", () => {
    const t = new ContainerTracker();
    t.applyView(view(), T);
    t.applyStats("c1", { cpuTotal: 1e9, systemTotal: 100e9, onlineCpus: 2, memoryUsage: 300, memoryCache: 100, memoryLimit: 1000 });
    expect(t.get("c1")!.cpuPercentOfCore).toBeNull();
    t.applyStats("c1", { cpuTotal: 2e9, systemTotal: 102e9, onlineCpus: 2, memoryUsage: 300, memoryCache: 100, memoryLimit: 1000 });
    // 1 s of CPU over 2 s of all-core time on 2 cores = one core busy = 100 %.
    expect(t.get("c1")!.cpuPercentOfCore).toBeCloseTo(100);
    expect(t.get("c1")!.memoryUsage).toBe(200);
  });

  it("survives a snapshot round trip", () => {
    const t = new ContainerTracker();
    t.applyView(view(), T);
    t.onEvent(ev("die", T + 1000, { exitCode: "1" }));
    const t2 = new ContainerTracker();
    t2.restore(JSON.parse(JSON.stringify(t.snapshot())));
    expect(t2.get("c1")!.crash).toMatchObject({ exitCode: 1 });
  });
});
