/**
 * The Alertmanager receiver against a real Alertmanager (Debian's
 * prometheus-alertmanager, scripts/install-test-deps.sh) on 127.0.0.1, out of
 * any cluster, with its own config and storage: two `lookout run` agents (two
 * hostnames, two data dirs) push a disk alert that fires on the first cycle;
 * Alertmanager groups both hosts' alerts into one Slack message (to a local
 * Slack stand-in); then Alertmanager is killed (-9) and started again on the
 * same port and storage: it keeps alerts in memory only, and has both again
 * within the agents' re-send period.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCli, workspace } from "../../support/cli.js";
import { hostRulesOnly } from "../../support/configs.js";
import { FakeSlack } from "../../support/fake-slack.js";
import { until } from "../../support/wait.js";

const AM_BIN = "/usr/bin/prometheus-alertmanager";
const RESEND = 2_000;

interface AmAlert {
  labels: Record<string, string>;
  startsAt: string;
  endsAt: string;
  updatedAt: string;
  status: { state: string };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe.skipIf(!existsSync(AM_BIN))("Alertmanager (real, on loopback)", () => {
  const slack = new FakeSlack();
  const dir = mkdtempSync(join(tmpdir(), "lookout-am-"));
  let port = 0;
  let am: ChildProcess | undefined;
  let amLog = "";

  const startAm = async (): Promise<void> => {
    am = spawn(
      AM_BIN,
      [
        `--config.file=${join(dir, "alertmanager.yml")}`,
        `--web.listen-address=127.0.0.1:${port}`,
        "--cluster.listen-address=",
        `--storage.path=${join(dir, "data")}`,
        "--log.level=warn",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    am.stdout!.on("data", (d: Buffer) => (amLog += d.toString()));
    am.stderr!.on("data", (d: Buffer) => (amLog += d.toString()));
    await until(
      async () => (await fetch(`http://127.0.0.1:${port}/-/ready`).catch(() => undefined))?.ok,
      10_000,
      "Alertmanager to be ready",
      () => amLog,
    );
  };
  const amAlerts = async (): Promise<AmAlert[]> => {
    const res = await fetch(`http://127.0.0.1:${port}/api/v2/alerts`).catch(() => undefined);
    return res?.ok ? ((await res.json()) as AmAlert[]) : [];
  };
  const hostsIn = (alerts: AmAlert[]) => new Set(alerts.filter((a) => a.labels.alertname === "host_disk" || a.labels.mount === "/").map((a) => a.labels.hostname));

  beforeAll(async () => {
    await slack.start();
    port = await freePort();
    writeFileSync(
      join(dir, "alertmanager.yml"),
      `route:
  receiver: slack
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: slack
    slack_configs:
      - api_url: ${slack.url}
        channel: "#alerts"
        send_resolved: true
        title: "{{ .CommonLabels.alertname }}"
        text: "{{ range .Alerts }}host={{ .Labels.hostname }} {{ end }}"
`,
    );
    await startAm();
  });
  afterAll(async () => {
    am?.kill("SIGKILL");
    await slack.close();
  });

  it("groups two hosts' alerts, and has them again within the re-send period after a kill -9 and restart", async () => {
    const agents = ["am-host-a", "am-host-b"].map((hostname) => {
      const ws = workspace(`
hostname: ${hostname}
interval: 500ms
${hostRulesOnly({ disk: '{ warning: 1, critical: null, mounts: ["/"] }' })}
notify:
  group_wait: 0s
  alertmanager:
    - url: http://127.0.0.1:${port}
      resend_every: 2s
`);
      return startCli(["run", "--config", ws.config, "--data-dir", ws.data]);
    });
    try {
      // Both hosts' disk alerts in Alertmanager…
      const both = await until(
        async () => {
          const alerts = await amAlerts();
          return hostsIn(alerts).size === 2 ? alerts : undefined;
        },
        15_000,
        "both hosts' alerts in Alertmanager",
        () => `${amLog}\n${agents.map((a) => a.out.stderr).join("\n")}`,
      );
      // …firing, each holding 4 × resend_every from its last post (Alertmanager resolves it by itself if Lookout stops).
      for (const a of both.filter((x) => x.labels.mount === "/")) {
        expect(a.status.state).toBe("active");
        const holds = Date.parse(a.endsAt) - Date.parse(a.updatedAt);
        expect(holds).toBeGreaterThan(2 * RESEND);
        expect(holds).toBeLessThanOrEqual(4 * RESEND + 1_000);
      }
      // One group, and one Slack message naming both hosts (grouping across the fleet).
      const groups = (await (await fetch(`http://127.0.0.1:${port}/api/v2/alerts/groups`)).json()) as Array<{ alerts: AmAlert[] }>;
      expect(groups.some((g) => hostsIn(g.alerts).size === 2)).toBe(true);
      await until(
        () => slack.requests.some((r) => JSON.stringify(r.body).includes("host=am-host-a") && JSON.stringify(r.body).includes("host=am-host-b")),
        10_000,
        "a Slack message from Alertmanager naming both hosts",
        () => slack.requests.map((r) => r.raw).join("\n"),
      );

      // Alertmanager dies (its alerts are in memory only) and comes back on the same port and storage.
      am!.kill("SIGKILL");
      await new Promise((r) => am!.once("exit", r));
      expect(await amAlerts()).toEqual([]);
      await new Promise((r) => setTimeout(r, 1_000)); // a post or two fails meanwhile: it waits in the outbox
      await startAm();
      const back = Date.now();
      await until(
        async () => hostsIn(await amAlerts()).size === 2,
        // Within the re-send period (2 s), plus a cycle (0.5 s) and the retry of a post refused while it was down (backoff 1–2 s).
        RESEND + 3_000,
        "both hosts' alerts back in Alertmanager after its restart",
        () => `${amLog}\n${agents.map((a) => a.out.stderr).join("\n")}`,
      );
      expect(Date.now() - back).toBeLessThan(RESEND + 3_000);
    } finally {
      for (const a of agents) expect(await a.stop("SIGTERM")).toBe(0);
    }
    // Re-sends are not news: the agents printed one alert line each, not one per re-send.
    for (const a of agents) expect(a.out.stdout.split("\n").filter((l) => /WARNING: Disk/.test(l))).toHaveLength(1);
  }, 40_000);
});
