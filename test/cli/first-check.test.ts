/**
 * The line `lookout run` logs after its first complete check: the pure
 * function, and the real CLI printing it once.
 */

import { describe, expect, it } from "vitest";
import type { CycleResult } from "../../src/agent.js";
import type { AlertRecord } from "../../src/alert/state.js";
import { firstCheckLine } from "../../src/cli/first-check.js";
import type { Sample } from "../../src/model/sample.js";
import { startCli, workspace } from "../support/cli.js";
import { HOST_RULES_OFF } from "../support/configs.js";
import { alertRecord, bareSample } from "../support/records.js";

const sample = bareSample;
const firing = (alertname: string, labels: Record<string, string> = {}, state: "firing" | "pending" = "firing"): AlertRecord => alertRecord(alertname, labels, state);

function cycle(samples: Sample[], active: AlertRecord[] = [], errors: string[] = []): CycleResult {
  return {
    checkedAt: 0,
    samples,
    evaluation: { observations: [], evaluated: new Set(), sources: new Map() },
    active,
    resolved: [],
    notifications: [],
    errors,
    status: "ok",
  };
}

const HOST = [
  sample("host_cpu", 6.2),
  sample("host_cpu_user", 4.1),
  sample("host_memory", 4.6),
  sample("host_disk", 24.4, { mount: "/" }),
  sample("host_disk", 12, { mount: "/data" }),
  sample("host_inodes", 80, { mount: "/" }),
];

/** What the Docker collector gives for one container: one container_unhealthy sample among others. */
const container = (name: string, unhealthy = false): Sample[] => [
  sample("container_crashed", 0, { container: name, image: "nginx" }),
  sample("container_unhealthy", unhealthy ? 1 : 0, { container: name, image: "nginx" }),
  sample("container_restart_loop", 0, { container: name, image: "nginx" }),
];

describe("firstCheckLine", () => {
  it("says CPU, memory, the fullest disk, the containers and that nothing fires", () => {
    const containers = Array.from({ length: 8 }, (_, i) => container(`web-${i}`, i === 3)).flat();
    expect(firstCheckLine(cycle([...HOST, ...containers]))).toBe("first check: CPU 6 %, memory 5 %, fullest disk / 24 %, 8 containers (1 unhealthy), nothing firing");
  });

  it("leaves the containers out when there are none (no Docker), and says 1 container, not 1 containers", () => {
    expect(firstCheckLine(cycle(HOST))).toBe("first check: CPU 6 %, memory 5 %, fullest disk / 24 %, nothing firing");
    expect(firstCheckLine(cycle([...HOST, ...container("db")]))).toBe("first check: CPU 6 %, memory 5 %, fullest disk / 24 %, 1 container, nothing firing");
  });

  it("names what fires (not what is pending), at most five, and counts the rest", () => {
    const line = firstCheckLine(cycle(HOST, [firing("host_disk", { mount: "/data" }), firing("host_cpu"), firing("host_memory", {}, "pending")]));
    expect(line).toBe("first check: CPU 6 %, memory 5 %, fullest disk / 24 %, 2 firing: host_disk /data, host_cpu");
    const many = Array.from({ length: 7 }, (_, i) => firing("container_crashed", { container: `web-${i}` }));
    expect(firstCheckLine(cycle([], many))).toBe(
      "first check: 7 firing: container_crashed web-0, container_crashed web-1, container_crashed web-2, container_crashed web-3, container_crashed web-4 and 2 more",
    );
  });

  it("says when a collector failed, and escapes machine text to one line", () => {
    const line = firstCheckLine(cycle([sample("host_disk", 99, { mount: "/mnt/x\nINJECTED" })], [], ["docker: cannot connect"]));
    expect(line).toBe("first check: fullest disk /mnt/x\\nINJECTED 99 %, nothing firing, 1 collector failed (see above)");
  });
});

describe("lookout run", () => {
  it("logs the first check once, at info on stderr, and nothing on stdout for it", async () => {
    const ws = workspace(`interval: 200ms\n${HOST_RULES_OFF}\n`);
    const agent = startCli(["run", "--config", ws.config, "--data-dir", ws.data]);
    try {
      await agent.firstCheck();
      // Several more cycles (200 ms each): the line is not repeated.
      await new Promise((r) => setTimeout(r, 1500));
    } finally {
      expect(await agent.stop("SIGTERM")).toBe(0);
    }
    const lines = agent.out.stderr.split("\n").filter((l) => l.includes("first check:"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\S+Z INFO {2}first check: CPU \d+ %, memory \d+ %, fullest disk .+ \d+ %, nothing firing$/);
    expect(agent.out.stdout).not.toContain("first check");
  }, 30_000);
});
