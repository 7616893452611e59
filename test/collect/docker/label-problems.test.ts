/**
 * Problems with containers' lookout.* labels: logged once, listed by `status`
 * for the containers there now. A container removed, or its label fixed,
 * (by recreating it: labels never change in place) leaves the list, so the list (and what is saved each cycle) never grows with
 * container churn.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { ContainerInspect } from "../../../src/collect/docker/api-types.js";
import { DockerCollector } from "../../../src/collect/docker/docker.js";
import { savedProblems } from "../../../src/collect/docker/saved.js";
import { configSchema } from "../../../src/config/schema.js";
import { setLogSink } from "../../../src/log.js";
import { FixtureServer, fixtureJson, json } from "./fixture-server.js";

const servers: FixtureServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  setLogSink((line) => process.stderr.write(line + "\n"));
});

/** A daemon whose containers the test changes between cycles: each a copy of a recorded inspect with its own id, name and labels. */
async function daemon(containers: Map<string, ContainerInspect>): Promise<string> {
  const server = new FixtureServer((req) => {
    if (req.path.endsWith("/version")) return json(fixtureJson("version.json"));
    if (req.path.endsWith("/info")) return json({ DockerRootDir: "/var/lib/docker" });
    if (req.path.endsWith("/containers/json"))
      return json([...containers.values()].map((c) => ({ Id: c.Id, Names: [c.Name], Labels: c.Config.Labels ?? {}, State: c.State.Status, Status: "Exited" })));
    const m = /\/containers\/([0-9a-f]+)\/json$/.exec(req.path);
    if (m) return containers.has(m[1]!) ? json(containers.get(m[1]!)) : json({ message: "No such container" }, 404);
    return undefined;
  });
  servers.push(server);
  return server.listen();
}

function container(i: number, labels: Record<string, string>): ContainerInspect {
  const base = fixtureJson<ContainerInspect>("inspect-crashed-exit3.json");
  const id = i.toString(16).padStart(64, "a");
  return { ...base, Id: id, Name: `/job-${i}`, Config: { ...base.Config, Labels: labels } };
}

describe("label problems", () => {
  it("lists the problems of the containers there now: a removed or recreated container leaves the list, and each is logged once", async () => {
    const logs: string[] = [];
    setLogSink((l) => logs.push(l));
    const containers = new Map<string, ContainerInspect>();
    for (let i = 1; i <= 30; i++) {
      const c = container(i, { "lookout.cpu.warning": "high" });
      containers.set(c.Id, c);
    }
    const host = await daemon(containers);
    const config = configSchema.parse({ docker: { socket: host } });
    const collector = new DockerCollector({ config });
    let now = Date.parse(fixtureJson<ContainerInspect>("inspect-crashed-exit3.json").State.FinishedAt) + 3600_000;
    const cycle = async () => {
      await collector.collect({ config, now, reason: "event" });
      now += 10_000;
      return savedProblems(collector.snapshot());
    };
    expect(await cycle()).toHaveLength(30);
    expect(await cycle()).toHaveLength(30);
    expect(logs.filter((l) => l.includes("container rule settings ignored"))).toHaveLength(30);
    // Churn: the 30 go, 30 others with good labels come, and one of them gets a bad label, then has it fixed.
    containers.clear();
    for (let i = 31; i <= 60; i++) {
      const c = container(i, { "lookout.cpu.warning": "90" });
      containers.set(c.Id, c);
    }
    expect(await cycle()).toEqual([]);
    // Recreated with a bad label (labels never change in place: a new container does), then fixed (again a new one).
    const bad = container(61, { "lookout.cpu.warning": "lots" });
    containers.set(bad.Id, bad);
    expect(await cycle()).toEqual(['job-61: label lookout.cpu.warning="lots": expected a number from 0 to 100']);
    containers.delete(bad.Id);
    const fixed = container(62, { "lookout.cpu.warning": "95" });
    containers.set(fixed.Id, fixed);
    await cycle(); // the cycle that finds it gone still reports it (as removed); the next has forgotten it
    expect(await cycle()).toEqual([]);
    await collector.stop();
  });
});
