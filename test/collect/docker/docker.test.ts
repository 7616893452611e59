/** How the collector reads the Engine API's answers: recorded fixtures from a real dockerd 20.10. */

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { ContainerInspect, ContainerStats } from "../../../src/collect/docker/api-types.js";
import { containerLabels, toStatsView, toView } from "../../../src/collect/docker/docker.js";

const fixture = <T>(name: string): T => JSON.parse(readFileSync(new URL(`../../fixtures/docker/${name}`, import.meta.url), "utf8")) as T;

describe("toView", () => {
  it("reads a crashed container: exit code, times, restart policy", () => {
    const raw = fixture<ContainerInspect>("inspect-crashed-exit3.json");
    const v = toView(raw);
    expect(v).toMatchObject({ status: "exited", exitCode: 3, oomKilled: false, restartPolicy: "no", memoryLimit: 0, cpuLimit: null, health: null });
    expect(v.name).not.toMatch(/^\//);
    expect(v.startedAt).toBe(Date.parse(raw.State.StartedAt));
    expect(v.finishedAt).toBe(Date.parse(raw.State.FinishedAt));
    expect(v.labels).toEqual({ "com.docker.compose.project": "shop", "com.docker.compose.service": "api" });
  });

  it("reads where a container writes on the host: bind mounts and volumes, not tmpfs", () => {
    const raw = fixture<ContainerInspect>("inspect-crashed-exit3.json");
    expect(toView(raw).mounts).toEqual([]);
    const mounted: ContainerInspect = {
      ...raw,
      Mounts: [
        { Type: "bind", Source: "/srv/pg", Destination: "/var/lib/postgresql/data" },
        { Type: "volume", Source: "/var/lib/docker/volumes/shop_cache/_data", Destination: "/cache" },
        { Type: "tmpfs", Source: "", Destination: "/tmp" },
      ],
    };
    expect(toView(mounted).mounts).toEqual(["/srv/pg", "/var/lib/docker/volumes/shop_cache/_data"]);
  });

  it("reads an OOM kill", () => {
    expect(toView(fixture<ContainerInspect>("inspect-oom-killed.json"))).toMatchObject({ status: "exited", exitCode: 137, oomKilled: true });
  });

  it("reads limits: --cpus 0.5 --memory 64m", () => {
    expect(toView(fixture<ContainerInspect>("inspect-running-limited.json"))).toMatchObject({
      name: "web-1",
      status: "running",
      cpuLimit: 0.5,
      memoryLimit: 64 * 1024 * 1024,
      finishedAt: null,
    });
  });

  it("reads health and the last check's output", () => {
    const v = toView(fixture<ContainerInspect>("inspect-unhealthy.json"));
    expect(v.health).toBe("unhealthy");
    expect(v.healthOutput).toContain("/tmp/healthy missing");
    expect(v.failingStreak).toBeGreaterThan(0);
  });

  it("labels a container by name, image and compose project/service", () => {
    const v = toView(fixture<ContainerInspect>("inspect-running-limited.json"));
    expect(containerLabels({ ...v, labels: { "com.docker.compose.project": "shop", "com.docker.compose.service": "web" } })).toEqual({
      container: "web-1",
      image: v.image,
      compose_project: "shop",
      compose_service: "web",
    });
    expect(containerLabels({ ...v, labels: {} })).toEqual({ container: "web-1", image: v.image });
  });
});

describe("toStatsView", () => {
  it("takes the page cache out of memory usage as docker stats does (cgroup v1: total_inactive_file)", () => {
    const raw = fixture<ContainerStats>("stats-running.json");
    const s = toStatsView(raw)!;
    expect(s.cpuTotal).toBe(raw.cpu_stats.cpu_usage.total_usage);
    expect(s.onlineCpus).toBe(raw.cpu_stats.online_cpus);
    expect(s.memoryCache).toBe(raw.memory_stats.stats!.total_inactive_file);
    expect(s.memoryLimit).toBe(raw.memory_stats.limit);
  });

  it("uses inactive_file on cgroup v2", () => {
    const raw = fixture<ContainerStats>("stats-running.json");
    const v2 = { ...raw, memory_stats: { ...raw.memory_stats, stats: { inactive_file: 1234 } } } as ContainerStats;
    expect(toStatsView(v2)!.memoryCache).toBe(1234);
  });
});
