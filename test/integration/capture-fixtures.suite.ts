/**
 * Records the Engine API answers the unit tests parse (test/fixtures/docker/)
 * from the rig's real dockerd. Skipped unless asked for:
 *
 *   LOOKOUT_CAPTURE_FIXTURES=1 LOOKOUT_DOCKER_SUITES=capture-fixtures npx vitest run --project docker
 *
 * Bodies are stored exactly as the daemon sent them (JSON re-indented for
 * reading; the event stream and the log streams byte for byte).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { type IncomingMessage, request } from "node:http";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { currentRig, inspectContainer, removeContainers, runContainer, setRig, stopContainers, waitContainer } from "./docker-rig.js";

const OUT = resolve(import.meta.dirname, "../fixtures/docker");
const enabled = process.env.LOOKOUT_CAPTURE_FIXTURES === "1";

describe.skipIf(!enabled)("capture Engine API fixtures from the rig's dockerd", () => {
  it("records version, containers, inspects, stats, events and logs", { timeout: 120_000 }, async () => {
    const rig = await currentRig();
    setRig(rig);
    mkdirSync(OUT, { recursive: true });
    const open = (path: string) => new Promise<IncomingMessage>((resolve, reject) => request({ socketPath: rig.socket, path, method: "GET" }, resolve).on("error", reject).end());
    const get = async (path: string): Promise<{ status: number; body: Buffer }> => {
      const res = await open(path);
      const chunks: Buffer[] = [];
      for await (const chunk of res) chunks.push(chunk as Buffer);
      return { status: res.statusCode ?? 0, body: Buffer.concat(chunks) };
    };
    const saveJson = (name: string, body: Buffer): unknown => {
      const parsed: unknown = JSON.parse(body.toString("utf8"));
      writeFileSync(join(OUT, name), JSON.stringify(parsed, null, 2) + "\n");
      return parsed;
    };

    // The event stream, recorded from before the first container to the end.
    const events = await open(`/v1.41/events?filters=${encodeURIComponent(JSON.stringify({ type: ["container"] }))}`);
    const eventChunks: Buffer[] = [];
    const eventsDone = (async () => {
      try {
        for await (const chunk of events) eventChunks.push(chunk as Buffer);
      } catch {
        // destroyed at the end
      }
    })();

    saveJson("version.json", (await get("/version")).body);

    // Exit 3, with output on both streams and compose labels.
    await runContainer("shop-api-1", {
      cmd: 'echo "starting api"; echo "config file /etc/api.yaml missing" >&2; exit 3',
      labels: { "com.docker.compose.project": "shop", "com.docker.compose.service": "api" },
      restart: "no",
    });
    expect(await waitContainer("shop-api-1")).toBe(3);
    saveJson("inspect-crashed-exit3.json", (await get("/v1.41/containers/shop-api-1/json")).body);

    // OOM killed: 64 MiB into a 16 MiB limit.
    await runContainer("oom-1", { memory: "16m", memorySwap: "16m", cmd: "exec dd if=/dev/zero of=/dev/null bs=64M count=1" });
    expect(await waitContainer("oom-1")).toBe(137);
    const oom = saveJson("inspect-oom-killed.json", (await get("/v1.41/containers/oom-1/json")).body) as { State: { OOMKilled: boolean } };
    expect(oom.State.OOMKilled).toBe(true);

    // Unhealthy: the check fails (its output is kept in the health log).
    await runContainer("unhealthy-1", {
      cmd: ["sleep", "86400"],
      health: { cmd: 'echo "checking /tmp/healthy"; test -f /tmp/healthy || { echo "not ready: /tmp/healthy missing"; exit 1; }', interval: "1s", retries: 2 },
    });
    const deadline = Date.now() + 20_000;
    for (;;) {
      const s = (await inspectContainer("unhealthy-1")).State.Health?.Status;
      if (s === "unhealthy") break;
      if (Date.now() > deadline) throw new Error(`still ${s}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    saveJson("inspect-unhealthy.json", (await get("/v1.41/containers/unhealthy-1/json")).body);

    // Running with limits, and its stats.
    await runContainer("web-1", { cpus: 0.5, memory: "64m", cmd: ["sleep", "86400"], labels: { "lookout.expect": "running" } });
    saveJson("inspect-running-limited.json", (await get("/v1.41/containers/web-1/json")).body);
    saveJson("stats-running.json", (await get("/v1.41/containers/web-1/stats?stream=false&one-shot=true")).body);
    // What dockerd 20.10 answers for a stopped container: 200 with zeroes.
    const stopped = await get("/v1.41/containers/shop-api-1/stats?stream=false&one-shot=true");
    expect(stopped.status).toBe(200);
    saveJson("stats-stopped.json", stopped.body);

    // Logs: 30 lines, every third on stderr, one with UTF-8; and the same with a TTY.
    const script = 'for i in $(seq 1 30); do if [ $((i % 3)) = 0 ]; then echo "line $i err é" >&2; else echo "line $i out"; fi; usleep 20000; done';
    await runContainer("logs-1", { cmd: script });
    await waitContainer("logs-1");
    writeFileSync(join(OUT, "logs-multiplexed.bin"), (await get("/v1.41/containers/logs-1/logs?stdout=1&stderr=1&tail=all")).body);
    await runContainer("logs-tty-1", { cmd: script, tty: true });
    await waitContainer("logs-tty-1");
    writeFileSync(join(OUT, "logs-tty.bin"), (await get("/v1.41/containers/logs-tty-1/logs?stdout=1&stderr=1&tail=all")).body);

    const missing = await get("/v1.41/containers/no-such-container/json");
    expect(missing.status).toBe(404);
    saveJson("error-404.json", missing.body);

    // A docker stop: kill (signal 15) then die (143) then stop.
    await stopContainers(["web-1"], 1);
    saveJson("containers.json", (await get("/v1.41/containers/json?all=true")).body);

    await new Promise((r) => setTimeout(r, 300));
    events.destroy();
    await eventsDone;
    writeFileSync(join(OUT, "events.ndjson"), Buffer.concat(eventChunks));
    await removeContainers(["shop-api-1", "oom-1", "unhealthy-1", "web-1", "logs-1", "logs-tty-1"]);
    setRig(null);
  });
});
