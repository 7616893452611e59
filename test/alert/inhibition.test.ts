import { describe, expect, it } from "vitest";
import { type InhibitorMemory, inhibitedBy, updateInhibitors } from "../../src/alert/inhibition.js";
import type { AlertRecord } from "../../src/alert/state.js";

const S = 1000;
const HOLD = 90 * S;
const active = (alertname: string, since: number, state: "pending" | "firing" = "firing"): AlertRecord =>
  ({
    fingerprint: `${alertname}{}`,
    alertname,
    labels: { alertname },
    state,
    severity: "critical",
    maxSeverity: "critical",
    activeSince: since,
    firingSince: since,
  }) as unknown as AlertRecord;
const crash = (causedAt: number, activeSince = causedAt) => ({ labels: { alertname: "container_crashed", container: "db-1" }, causedAt, activeSince });

/** Runs cycles at the given times (each measured 0.5 s after it starts) with the source active where `down(t)`; returns the memory after each. */
function cycles(times: number[], down: (t: number) => boolean, source = "docker_unreachable", state: "pending" | "firing" = "firing"): InhibitorMemory[] {
  let memory: InhibitorMemory = {};
  return times.map((t) => (memory = updateInhibitors(down(t) ? [active(source, 10 * S, state)] : [], memory, t, t + 500, HOLD)));
}

describe("inhibition", () => {
  it("holds back every container alert while Docker is unreachable, none of the host's", () => {
    const [m] = cycles([20 * S], () => true);
    expect(inhibitedBy(crash(15 * S), m!)).toBe("inhibited by docker_unreachable");
    expect(inhibitedBy({ labels: { alertname: "container_unhealthy", container: "x" }, activeSince: 20 * S }, m!)).toBe("inhibited by docker_unreachable");
    expect(inhibitedBy({ labels: { alertname: "host_disk", mount: "/" }, activeSince: 20 * S }, m!)).toBeUndefined();
    expect(inhibitedBy({ labels: { alertname: "docker_unreachable" }, activeSince: 20 * S }, m!)).toBeUndefined();
  });

  it("holds back from the first cycle Docker did not answer, before docker_unreachable fires", () => {
    const [m] = cycles([20 * S], () => true, "docker_unreachable", "pending");
    expect(inhibitedBy(crash(15 * S), m!)).toBe("inhibited by docker_unreachable");
  });

  it("after Docker is back, still holds what died before it answered (also what Docker killed while restoring), not what dies after", () => {
    // Seen down at 20 s and 30 s; the cycle of 40 s found it answering at 40.5 s.
    const [, , back] = cycles([20 * S, 30 * S, 40 * S], (t) => t < 40 * S);
    expect(back!.docker_unreachable).toEqual({ since: 10 * S, endedAt: 40.5 * S });
    expect(inhibitedBy(crash(25 * S, 40 * S), back!)).toBe("inhibited by docker_unreachable"); // died during the outage, found at 40 s
    expect(inhibitedBy(crash(40.2 * S, 40 * S), back!)).toBe("inhibited by docker_unreachable"); // killed by Docker's restore, just before it answered
    expect(inhibitedBy(crash(41 * S, 42 * S), back!)).toBeUndefined(); // died after Docker answered
  });

  it("forgets a source hold-time after it ended, so what still fires is sent then", () => {
    const ms = cycles([20 * S, 40 * S, 40.5 * S + HOLD - 1, 40.5 * S + HOLD], (t) => t < 40 * S);
    expect(inhibitedBy(crash(15 * S), ms[2]!)).toBeDefined();
    expect(ms[3]).toEqual({});
    expect(inhibitedBy(crash(15 * S), ms[3]!)).toBeUndefined();
  });

  it("a reboot holds back container deaths from before it, not crashes after it, nor containers that did not come back", () => {
    const [m] = cycles([100 * S], () => true, "host_rebooted");
    expect(inhibitedBy(crash(5 * S), m!)).toBe("inhibited by host_rebooted"); // killed at shutdown
    expect(inhibitedBy({ labels: { alertname: "container_oom_killed" }, causedAt: 5 * S, activeSince: 100 * S }, m!)).toBe("inhibited by host_rebooted");
    expect(inhibitedBy(crash(50 * S), m!)).toBeUndefined(); // crashed after the reboot started being reported
    expect(inhibitedBy({ labels: { alertname: "container_not_running" }, activeSince: 5 * S }, m!)).toBeUndefined();
  });
});
