/**
 * What `check`, `status` and `run` print to a terminal, as real processes:
 * machine text (mount points, the host name) never reaches it with a raw
 * control character, and `check` and `status` fit 100 columns.
 */

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { FixtureServer } from "../collect/docker/fixture-server.js";
import { runCli, startCli, workspace } from "../support/cli.js";
import { type FakeContainer, fakeDocker, makeHostRoot } from "./host-root.js";

/** Every character `oneLine` escapes, but the newline that ends a line. */
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

const NEWLINE_MOUNT = "/mnt/x\nINJECTED CRITICAL: fake";
const ESCAPE_MOUNT = "/mnt/\x1b]0;PWNED\x07\x1b[2J";
const EVIL_HOSTNAME = "web\x1b]0;PWNED\x07-1";

/** Only the disk rule, at a level every filesystem is over: the two injected mount points fire at once. */
const DISKS_FIRE = `
host_root: ./root
host:
  cpu: { enabled: false }
  memory: { enabled: false }
  swap: { enabled: false }
  load: { enabled: false }
  inodes: { enabled: false }
  disk: { warning: 0.001, critical: null, for: 0s }
`;

function expectSafe(text: string, what: string): void {
  const bad = RAW_CONTROL.exec(text);
  expect(bad, `${what} holds a raw control character ${JSON.stringify(bad?.[0])} in:\n${JSON.stringify(text)}`).toBeNull();
  for (const line of text.split("\n")) expect(line, what).not.toMatch(/^INJECTED/);
}

async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("machine text on a terminal", () => {
  it("check, check --json, status and run's alert lines carry no raw control character; JSON keeps the true value", async () => {
    const ws = workspace(DISKS_FIRE);
    makeHostRoot(join(ws.dir, "root"), [NEWLINE_MOUNT, ESCAPE_MOUNT], { hostname: EVIL_HOSTNAME });
    const g = ["--config", ws.config, "--data-dir", ws.data];

    const check = await runCli(["check", ...g]);
    expect(check.code, check.stderr).toBe(1);
    expectSafe(check.stdout, "check");
    expectSafe(check.stderr, "check's stderr");
    expect(check.stdout).toContain("mount=/mnt/x\\nINJECTED CRITICAL: fake");
    expect(check.stdout).toContain("mount=/mnt/\\x1b]0;PWNED\\x07\\x1b[2J");
    expect(check.stdout.split("\n")[0]).toMatch(/^web\\x1b\]0;PWNED\\x07-1 /);

    const json = await runCli(["check", "--json", ...g]);
    expect(json.code).toBe(1);
    const out = JSON.parse(json.stdout) as { hostname: string; metrics: Array<{ name: string; labels: { mount?: string } }>; alerts: Array<{ labels: { mount?: string } }> };
    expect(out.hostname).toBe(EVIL_HOSTNAME);
    const mounts = out.metrics.filter((m) => m.name === "host_disk").map((m) => m.labels.mount);
    expect(mounts).toEqual(expect.arrayContaining([NEWLINE_MOUNT, ESCAPE_MOUNT]));
    expect(out.alerts.map((a) => a.labels.mount)).toEqual(expect.arrayContaining([NEWLINE_MOUNT, ESCAPE_MOUNT]));

    const status = await runCli(["status", ...g]);
    expect(status.code).toBe(0);
    expectSafe(status.stdout, "status");
    expect(status.stdout).toContain("mount=/mnt/x\\nINJECTED CRITICAL: fake");
    expect(status.stdout).toContain("mount=/mnt/\\x1b]0;PWNED\\x07\\x1b[2J");
    const statusJson = JSON.parse((await runCli(["status", "--json", ...g])).stdout) as { alerts: Array<{ labels: { mount?: string } }> };
    expect(statusJson.alerts.map((a) => a.labels.mount)).toEqual(expect.arrayContaining([NEWLINE_MOUNT, ESCAPE_MOUNT]));

    // A fresh data directory, so that run sends the two alerts again, one line each on stdout.
    const agent = startCli(["run", "--config", ws.config, "--data-dir", join(ws.dir, "run-data")], { env: {} });
    try {
      await until(() => (agent.out.stdout.match(/ WARNING: Disk /g) ?? []).length >= 2, 15_000, "the two disk alerts on stdout");
    } finally {
      expect(await agent.stop("SIGTERM")).toBe(0);
    }
    expectSafe(agent.out.stdout, "run's stdout");
    expectSafe(agent.out.stderr, "run's log");
    const alertLines = agent.out.stdout.split("\n").filter((l) => / WARNING: Disk /.test(l));
    expect(alertLines).toEqual(
      expect.arrayContaining([
        expect.stringContaining("[web\\x1b]0;PWNED\\x07-1] WARNING: Disk /mnt/x\\nINJECTED CRITICAL: fake"),
        expect.stringContaining("WARNING: Disk /mnt/\\x1b]0;PWNED\\x07\\x1b[2J"),
      ]),
    );
  }, 60_000);
});

describe("other lines with machine text", () => {
  it("the CLI's error line, a bad config's problems, and silence add / list escape it", async () => {
    const ws = workspace(DISKS_FIRE);
    writeFileSync(join(ws.dir, "file"), "");
    const bad = await runCli(["status", "--config", ws.config, "--data-dir", join(ws.dir, "file", "x\x1b[2J\nINJECTED CRITICAL: fake")]);
    expect(bad.code).toBe(3);
    expectSafe(bad.stderr, "the error line");
    expect(bad.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(bad.stderr).toContain("x\\x1b[2J\\nINJECTED CRITICAL: fake");

    const config = workspace('host:\n  "dsik\\nINJECTED CRITICAL: fake": {}\n  cpu: { warning: "80%" }\n');
    const refused = await runCli(["check", "--config", config.config, "--data-dir", config.data]);
    expect(refused.code).toBe(2);
    expectSafe(refused.stderr, "the config's problems");
    // Still one line per problem under the file's name.
    expect(refused.stderr.trimEnd().split("\n")).toEqual([
      expect.stringMatching(/^lookout: .*lookout\.yaml: invalid configuration$/),
      '  host.cpu.warning: expected a number from 0 to 100, got "80%"',
      expect.stringMatching(/^ {2}host\.dsik\\nINJECTED CRITICAL: fake: unknown key/),
    ]);

    const g = ["--config", ws.config, "--data-dir", ws.data];
    const add = await runCli(["silence", "add", ...g, "--match", "container=db\x1b]0;PWNED\x07", "--for", "1h", "--comment", "fix\nINJECTED CRITICAL: fake"]);
    expect(add.code).toBe(0);
    expectSafe(add.stdout, "silence add");
    const list = await runCli(["silence", "list", ...g]);
    expectSafe(list.stdout, "silence list");
    expect(list.stdout).toContain("container=db\\x1b]0;PWNED\\x07");
    expect(list.stdout).toContain("fix\\nINJECTED CRITICAL: fake");
    const json = JSON.parse((await runCli(["silence", "list", "--json", ...g])).stdout) as { silences: Array<{ matchers: string[]; comment: string }> };
    expect(json.silences[0]).toMatchObject({ matchers: ["container=db\x1b]0;PWNED\x07"], comment: "fix\nINJECTED CRITICAL: fake" });
  }, 30_000);
});

describe("check and status fit 100 columns", () => {
  let docker: FixtureServer | undefined;
  afterAll(async () => {
    await docker?.dispose();
  });

  const longMounts = Array.from({ length: 6 }, (_, i) => `/srv/${"customer-uploads-archive/".repeat(4)}volume-${i + 1}`);
  const containers: FakeContainer[] = Array.from({ length: 8 }, (_, i) => ({
    name: `shop-production-frontend-service-with-a-long-name-${i + 1}`,
    image: "registry.example.com/a-team/a-rather-long-image-name:2026.11.25-build.1234",
    labels: { "com.docker.compose.project": "shop-production", "com.docker.compose.service": `frontend-service-${i + 1}` },
    unhealthy: i === 0,
  }));

  const width = (text: string) =>
    text
      .replace(/\n$/, "")
      .split("\n")
      .map((l) => [...l].length);

  it("check shows host rows and what is not ok, counts the ok container rows, and --all lists them; every line ≤ 100", async () => {
    const fake = await fakeDocker(containers);
    docker = fake.server;
    const ws = workspace(DISKS_FIRE + `docker:\n  socket: ${fake.host}\n`);
    makeHostRoot(join(ws.dir, "root"), longMounts, { hostname: "web-1" });
    const g = ["--config", ws.config, "--data-dir", ws.data];

    const check = await runCli(["check", ...g]);
    expect(check.code, check.stderr).toBe(1);
    expect(Math.max(...width(check.stdout)), check.stdout).toBeLessThanOrEqual(100);
    // Every disk row is there (cut with …), the unhealthy container's row too, and one line for the rest.
    expect(check.stdout.split("\n").filter((l) => /^host_disk /.test(l))).toHaveLength(longMounts.length + 1);
    for (let i = 1; i <= longMounts.length; i++) expect(check.stdout).toMatch(new RegExp(`^host_disk\\s+mount=/srv/\\S*…\\S*volume-${i}\\s`, "m"));
    expect(check.stdout).toContain("…");
    expect(check.stdout).toMatch(/^container_unhealthy .*FIRING warning$/m);
    // 8 containers × 5 rules (no stats: no cpu or memory rows), less the unhealthy one that fires.
    expect(check.stdout).toMatch(/^39 container checks ok \(lookout check --all lists them\)$/m);
    expect(check.stdout).not.toMatch(/^container_crashed /m);

    const all = await runCli(["check", "--all", ...g]);
    expect(all.code).toBe(1);
    expect(Math.max(...width(all.stdout)), all.stdout).toBeLessThanOrEqual(100);
    expect(all.stdout).not.toMatch(/container checks ok/);
    expect(all.stdout.split("\n").filter((l) => /^container_crashed .* ok$/.test(l))).toHaveLength(8);
    expect(all.stdout.split("\n").filter((l) => /^container_/.test(l))).toHaveLength(40);

    // The JSON keeps every value whole.
    const json = JSON.parse((await runCli(["check", "--json", ...g])).stdout) as { metrics: Array<{ name: string; labels: Record<string, string> }> };
    expect(json.metrics.filter((m) => m.name === "host_disk").map((m) => m.labels.mount)).toEqual(expect.arrayContaining(longMounts));
    expect(json.metrics.some((m) => m.labels.container === containers[7]!.name)).toBe(true);

    const status = await runCli(["status", ...g]);
    expect(status.code).toBe(0);
    expect(Math.max(...width(status.stdout)), status.stdout).toBeLessThanOrEqual(100);
    expect(status.stdout).toMatch(/^ALERT\s+LABELS\s+VALUE\s+THRESHOLD\s+STATE\s+SINCE$/m);
    // Cut in the middle: each disk keeps the end that tells it from the others.
    for (let i = 1; i <= longMounts.length; i++) {
      expect(status.stdout).toMatch(new RegExp(`^host_disk\\s+mount=/srv/\\S*…\\S*volume-${i}\\s+[\\d.]+%\\s+0\\.001\\s+FIRING warning\\s+\\d+(ms|s) ago$`, "m"));
    }
    expect(status.stdout).toMatch(/^container_unhealthy\s+container=shop-\S*…\S*-name-1\s+1 bool\s+1\s+FIRING warning\s+/m);
  }, 60_000);
});
