/**
 * Containers, end to end: the real `lookout run` process, a real dockerd (the
 * rig), real containers of the busybox test image, and a local stand-in for
 * Slack. Each test uses containers of its own and looks only at the messages
 * that name them.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { runCli, startCli, workspace } from "../support/cli.js";
import { HOST_RULES_OFF } from "../support/configs.js";
import { FakeSlack, type RecordedRequest, validateSlackPayload } from "../support/fake-slack.js";
import { textsOf } from "../support/slack-texts.js";
import { until as waitUntil } from "../support/wait.js";
import {
  currentRig,
  docker,
  hideSocket,
  inspectContainer,
  type RigInfo,
  removeAllContainers,
  removeContainers,
  restartDockerd,
  restoreSocket,
  runContainer,
  runPlainContainers,
  setRig,
  startDockerd,
  stopContainers,
  stopDockerd,
  uniqueName,
} from "./docker-rig.js";

let rig: RigInfo;
const fake = new FakeSlack();

const CONFIG = `
interval: 1s
${HOST_RULES_OFF}
docker:
  unreachable_for: 2s
containers:
  cpu: { warning: 60, for: 0s }
  memory: { warning: 60, for: 0s }
  not_running: { for: 2s }
notify:
  repeat_interval: 0
  slack:
    - webhook_url: \${HOOK}
`;

type Agent = ReturnType<typeof startCli>;

let lastWorkspace: ReturnType<typeof workspace>;

function startAgent(config = CONFIG): Agent {
  const ws = workspace(config);
  lastWorkspace = ws;
  const agent = startCli(["run", "--config", ws.config, "--data-dir", ws.data], { env: { HOOK: fake.url, DOCKER_HOST: rig.host } });
  // When the test that started it fails, what the agent said is the first thing to read (started by a
  // beforeAll, an agent belongs to no one test: vitest refuses the hook there).
  if (expect.getState().currentTestName !== undefined) {
    onTestFailed(() => {
      process.stderr.write(`--- lookout run's stderr (last 6000 characters) ---\n${agent.out.stderr.slice(-6000)}\n---\n`);
    });
  }
  return agent;
}

const textOf = (r: RecordedRequest) => (r.body as { text?: string })?.text ?? "";

/** Whether any text of the message matches (a title, or a group message's section). */
const says = (r: RecordedRequest, re: RegExp) => textsOf(r).some((t) => re.test(t));
/** Messages with a text (title or section) that names the container and matches. */
const saying = (name: string, re: RegExp) => fake.requests.filter((r) => textsOf(r).some((t) => t.includes(name) && re.test(t)));
/** Messages naming a container: in the title, or in a group message's sections. */
const about = (name: string) => fake.requests.filter((r) => new RegExp(`\\b${name}\\b`).test(JSON.stringify(r.body)));
/** The same, as the status and texts of each (what an assertion on them prints when it fails). */
const aboutTexts = (name: string) => about(name).map((r) => `${r.status} ${textsOf(r).join(" | ")}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const until = <T>(fn: () => T | undefined | false, timeoutMs: number, what: string): Promise<T> =>
  waitUntil(fn, timeoutMs, what, () => `messages so far:\n${fake.requests.map((r) => textsOf(r).join(" | ")).join("\n")}`);

const messageAbout = (name: string, re: RegExp, timeoutMs = 15_000) => until(() => saying(name, re)[0], timeoutMs, `a message about ${name} matching ${re}`);

async function agentStarted(agent: Agent): Promise<void> {
  await until(() => agent.out.stderr.includes("following container events"), 15_000, "the agent to follow Docker's events");
  // And its first look done: a container created before that is one "not running when Lookout started".
  await agent.firstCheck();
}

beforeAll(async () => {
  rig = await currentRig();
  setRig(rig);
  await fake.start();
});

afterAll(async () => {
  await removeAllContainers(rig);
  await fake.close();
});

describe("lookout run with containers", () => {
  let agent: Agent;
  beforeAll(async () => {
    agent = startAgent();
    await agentStarted(agent);
  });
  afterAll(async () => {
    if (process.env.LOOKOUT_TEST_DEBUG)
      process.stderr.write(
        agent.out.stderr
          .split("\n")
          .filter((l) => /WARN|ERROR/.test(l))
          .join("\n") + "\n",
      );
    expect(await agent.stop()).toBe(0);
    expect(agent.out.stderr).not.toMatch(/\n\s+at /);
  });

  it("reports a crash with its exit code, compose labels and last log lines, escaped", async () => {
    const name = uniqueName("crash");
    await runContainer(name, {
      labels: { "com.docker.compose.project": "shop", "com.docker.compose.service": "api" },
      // stdout and stderr are separate pipes: the pause keeps their order in Docker's log.
      cmd: "for i in $(seq 1 30); do echo line-$i; done; sleep 0.2; echo 'oops' >&2; sleep 0.2; echo '<!channel> <https://evil.example|click here>'; exit 3",
    });
    const msg = await messageAbout(name, /CRITICAL: Container .* crashed: exit code 3 \(application error\)/);
    expect(validateSlackPayload(msg.body)).toBeNull();
    const json = JSON.stringify(msg.body);
    expect(json).toContain("shop / api");
    expect(json).toContain("line-30");
    expect(json).toContain("oops");
    expect(json).not.toContain("line-10\\n"); // only the last 20 lines
    expect(json).not.toContain("after the fact"); // seen live, from the event stream
    expect(json).toContain("&lt;!channel&gt; &lt;https://evil.example|click here&gt;");
    expect(json).not.toContain("<!channel>");
    expect(json).not.toContain("<https://evil.example");
    await sleep(2000);
    expect(aboutTexts(name)).toHaveLength(1);
  });

  it("reports a crash of a --rm container that is gone before anyone could look at it", async () => {
    const name = uniqueName("rm");
    await runContainer(name, { rm: true, cmd: "echo bye; exit 7" });
    await messageAbout(name, /CRITICAL: Container .* crashed: exit code 7/);
    await messageAbout(name, /RESOLVED: Container .* crashed: container removed/);
  });

  it("holds back a crash a silence covers, made with the CLI while run runs, and sends it when the silence is removed", async () => {
    const name = uniqueName("silenced");
    const ws = lastWorkspace;
    const cli = (args: string[]) => runCli([...args, "--config", ws.config, "--data-dir", ws.data], { env: { HOOK: fake.url, DOCKER_HOST: rig.host } });
    const added = await cli(["silence", "add", "--match", `container=${name}`, "--match", "alertname=container_*", "--for", "1h", "--comment", "migration"]);
    expect(added.code).toBe(0);
    const id = /\b([0-9a-f]{8})\b/.exec(added.stdout)![1]!;
    await runContainer(name, { cmd: "echo migrating; exit 9" });
    await sleep(3000); // several cycles: the crash is tracked, not sent
    expect(aboutTexts(name)).toEqual([]);
    const status = JSON.parse((await cli(["status", "--json"])).stdout) as { alerts: unknown[] };
    expect(status.alerts).toContainEqual(
      expect.objectContaining({ alertname: "container_crashed", state: "firing", severity: "critical", labels: expect.objectContaining({ container: name }) }),
    );
    expect((await cli(["silence", "remove", id])).code).toBe(0);
    await messageAbout(name, /crashed: exit code 9/, 10_000);
    await sleep(1500);
    expect(aboutTexts(name)).toHaveLength(1);
  });

  it("turns 12 containers killed at once into at most 3 messages naming every one, paced", async () => {
    const prefix = uniqueName("burst");
    // 12: enough for a burst that one message per container would make a storm of; each container more costs the
    // Docker chain about half a second on a busy 2-core machine (30 took 25 s of it).
    const names = Array.from({ length: 12 }, (_, i) => `${prefix}-${i}`);
    fake.enforceRate(1000); // as Slack: a second message within a second gets 429
    await runPlainContainers(names); // a few at a time
    await sleep(2500); // the agent has listed them all
    const pids = (await Promise.all(names.map((n) => inspectContainer(n)))).map((c) => c.State.Pid);
    for (const pid of pids) process.kill(pid, "SIGKILL"); // killed from outside, as the OOM killer would: crashes
    await until(() => names.every((n) => about(n).length > 0), 20_000, "every container to be named");
    const messages = fake.requests.filter((r) => textOf(r).includes(prefix) || JSON.stringify(r.body).includes(prefix));
    expect(messages.length).toBeLessThanOrEqual(3);
    for (const m of messages) expect(validateSlackPayload(m.body)).toBeNull();
    expect(fake.requests.filter((r) => r.status === 429)).toEqual([]); // no 429 provoked
    for (let i = 1; i < messages.length; i++) expect(messages[i]!.at - messages[i - 1]!.at).toBeGreaterThanOrEqual(950);
    const all = messages.map((m) => JSON.stringify(m.body)).join("\n");
    for (const n of names) expect(all).toContain(`${n} crashed`);
    if (messages.length > 1 || names.length > 1) expect(all).toMatch(/\d+ containers crashed/);
    await removeContainers(names);
    fake.reset();
  }, 90_000);

  it("reports an OOM kill, critical, with the memory limit (and not also as a crash)", async () => {
    const name = uniqueName("oom");
    await runContainer(name, { memory: "16m", memorySwap: "16m", cmd: "exec dd if=/dev/zero of=/dev/null bs=64M count=1" });
    await messageAbout(name, /CRITICAL: Container .* was killed: out of memory \(its 16\.0 MiB limit\)/);
    await sleep(2000);
    expect(saying(name, /crashed/)).toEqual([]);
    expect(saying(name, /out of memory/)).toHaveLength(1);
    // Anything else naming it is its memory near the limit (memory.warning is 60 %, for 0s here): a cycle sees it
    // while dd fills the 16 MiB, which takes long enough on a busy machine. True, and no second report of the kill.
    for (const text of aboutTexts(name).filter((t) => !/out of memory/.test(t))) expect(text).toMatch(/memory/i);
  });

  it("reports unhealthy with the check's output, then healthy again once fixed", async () => {
    const name = uniqueName("health");
    await runContainer(name, { health: { cmd: "test -f /tmp/ok || (echo 'no /tmp/ok yet'; exit 1)", interval: "1s", retries: 1 } });
    const msg = await messageAbout(name, /WARNING: Container .* is unhealthy/, 20_000);
    expect(JSON.stringify(msg.body)).toContain("no /tmp/ok yet");
    await docker(["exec", name, "touch", "/tmp/ok"]);
    await messageAbout(name, /RESOLVED: Container .* is healthy again/, 20_000);
    expect(aboutTexts(name)).toHaveLength(2);
    // Removed now, not with the rest after the suite: its check, run every second (a runc exec each, ~0.15 s of
    // CPU here), would otherwise take a seventh of a core for the rest of the chain.
    await removeContainers([name]);
  });

  it("reports a restart loop once, not once per restart", async () => {
    const name = uniqueName("loop");
    await runContainer(name, { restart: "always", cmd: "echo failing; exit 1" });
    await messageAbout(name, /Container .* is restarting in a loop: \d+ restarts in 10m/, 20_000);
    const restartsBefore = (await inspectContainer(name)).RestartCount;
    await sleep(5000);
    const restartsAfter = (await inspectContainer(name)).RestartCount;
    expect(restartsAfter).toBeGreaterThan(restartsBefore); // it kept restarting meanwhile
    expect(saying(name, /restarting in a loop/)).toHaveLength(1);
    expect(saying(name, /crashed/).length).toBeLessThanOrEqual(1);
    expect(saying(name, /not running/)).toEqual([]);
    await removeContainers([name]);
  });

  it("says nothing when a container is stopped on purpose, or is meant to exit", async () => {
    const stopped = uniqueName("stopped");
    const job = uniqueName("job");
    await runContainer(stopped, { restart: "unless-stopped" });
    await sleep(1500);
    await stopContainers([stopped], 10);
    await runContainer(job, { labels: { "lookout.expect": "exit" }, cmd: "exit 1" });
    await sleep(5000); // past not_running.for (2s) and several cycles
    expect(aboutTexts(stopped)).toEqual([]);
    expect(aboutTexts(job)).toEqual([]);
  });

  it("reports memory as a share of the container's limit, without page cache", async () => {
    const name = uniqueName("mem");
    // 44 MiB in /dev/shm (tmpfs: memory that cannot be dropped like page cache): ~69 % of 64 MiB.
    await runContainer(name, { memory: "64m", memorySwap: "64m", cmd: "dd if=/dev/zero of=/dev/shm/fill bs=1M count=44 2>/dev/null; trap 'exit 143' TERM; sleep 86400 & wait" });
    const msg = await messageAbout(name, /WARNING: Container .* memory [\d.]+% \(threshold 60%\)/, 20_000);
    expect(JSON.stringify(msg.body)).toMatch(/[\d.]+% of its 64\.0 MiB limit: [\d.]+ MiB used, page cache not counted/);
    await removeContainers([name]);
  });

  it("reports CPU as a share of the container's limit and of one core", async () => {
    const name = uniqueName("busy");
    await runContainer(name, { cpus: 0.5, cmd: "while :; do :; done" });
    const msg = await messageAbout(name, /WARNING: Container .* CPU [\d.]+% \(threshold 60%\)/, 20_000);
    const fact = /([\d.]+)% of its 0\.5 CPU limit \(([\d.]+)% of one core, as docker stats shows it\)/.exec(JSON.stringify(msg.body));
    expect(fact).not.toBeNull();
    expect(Number(fact![1])).toBeGreaterThan(60);
    expect(Number(fact![2])).toBeGreaterThan(30);
    expect(Number(fact![2])).toBeLessThan(70); // half a core, not a whole one
    await removeContainers([name]);
    await messageAbout(name, /RESOLVED: Container .* CPU: container removed \((lasted \w+, )?peak [\d.]+%\)/, 10_000);
  });
});

describe("lookout check with containers (cron: no event stream)", () => {
  it("finds a crash by inspection, reports it once across runs, and lists bad labels in status", async () => {
    await removeAllContainers(rig);
    fake.reset();
    const ws = workspace(CONFIG);
    const env = { HOOK: fake.url, DOCKER_HOST: rig.host };
    const args = ["--config", ws.config, "--data-dir", ws.data];
    const crashed = uniqueName("cron-crash");
    const labelled = uniqueName("labelled");
    await runContainer(labelled, { labels: { "lookout.cpu.warning": "high" } });
    // The first check is Lookout's first look (a new data directory): what dies after it is news.
    const baseline = await runCli(["check", ...args], { env });
    expect(baseline.code).toBe(0);
    await runContainer(crashed, { cmd: "echo 'disk not found'; exit 4" });
    await sleep(500);
    const first = await runCli(["check", "--json", ...args], { env });
    expect(first.code).toBe(2);
    const out = JSON.parse(first.stdout);
    expect(out.status).toBe("critical");
    expect(out.alerts).toContainEqual(
      expect.objectContaining({
        alertname: "container_crashed",
        state: "firing",
        severity: "critical",
        labels: expect.objectContaining({ container: crashed, image: "lookout-test:latest" }),
      }),
    );
    expect(out.metrics.some((m: { name: string; labels: { container?: string } }) => m.name === "container_crashed" && m.labels.container === labelled)).toBe(true);
    const msg = await messageAbout(crashed, /crashed: exit code 4/);
    expect(JSON.stringify(msg.body)).toContain("disk not found");

    const second = await runCli(["check", ...args], { env });
    expect(second.code).toBe(2);
    await sleep(500);
    expect(aboutTexts(crashed)).toHaveLength(1);

    const status = await runCli(["status", ...args], { env });
    expect(status.stdout).toContain(`${labelled}: label lookout.cpu.warning="high": expected a number from 0 to 100`);
    expect(status.stdout).toMatch(/container_crashed\s.*FIRING critical/);
  }, 60_000);
});

describe("Lookout's first look at a Docker (a new data directory)", () => {
  it("reports the containers already down as one warning, pages no crash for them, and still alerts for one that should run", async () => {
    await removeAllContainers(rig);
    fake.reset();
    // Stopped before Lookout was installed: a process that ignores SIGTERM (docker stop ends it with SIGKILL: 137),
    // a crash (exit 3), and a restart=always service stopped by hand.
    const stopped = uniqueName("stopped");
    const crashed = uniqueName("crashed");
    const service = uniqueName("service");
    const job = uniqueName("job");
    await runContainer(stopped, { cmd: "sleep 86400" });
    await runContainer(crashed, { cmd: "echo 'bad config'; exit 3" });
    await runContainer(service, { restart: "always" });
    await runContainer(job, { cmd: "exit 0" });
    await stopContainers([stopped, service], 1);
    expect((await inspectContainer(stopped)).State.ExitCode).toBe(137);
    await sleep(300);

    const ws = workspace(CONFIG);
    const args = ["--config", ws.config, "--data-dir", ws.data];
    const env = { HOOK: fake.url, DOCKER_HOST: rig.host };
    const first = await runCli(["check", "--json", ...args], { env });
    expect(first.code).toBe(1); // a warning: nobody knows these were crashes
    const out = JSON.parse(first.stdout) as { alerts: Array<{ alertname: string; state: string; severity: string }> };
    expect(out.alerts.filter((a) => a.state === "firing").map((a) => [a.alertname, a.severity])).toEqual([["containers_down_at_start", "warning"]]);
    const notice = await until(() => fake.requests.find((r) => says(r, /When Lookout started, these 3 containers were not running/)), 10_000, "the first-look notice");
    const text = textsOf(notice).join("\n");
    expect(text).toContain(`${stopped} (exited 137`);
    expect(text).toContain(`${crashed} (exited 3`);
    expect(text).toContain(`${service} (exited`);
    expect(text).not.toContain(job);
    expect(fake.requests).toHaveLength(1);

    // After not_running's `for` (2s): the service that should run pages; the others stay quiet.
    await sleep(2500);
    const second = await runCli(["check", ...args], { env });
    expect(second.code).toBe(2);
    await messageAbout(service, /not running/);
    await sleep(500);
    expect(fake.requests.filter((r) => says(r, /crashed: exit code|out of memory/)).map((r) => textsOf(r).join(" | "))).toEqual([]);
    expect(aboutTexts(stopped)).toHaveLength(1);
    expect(aboutTexts(crashed)).toHaveLength(1);
  }, 60_000);
});

describe("lookout run when Docker goes away", () => {
  it("reconnects after a dockerd restart and still reports a container that dies afterwards", async () => {
    await removeAllContainers(rig);
    const agent = startAgent();
    try {
      await agentStarted(agent);
      await restartDockerd(rig);
      await until(() => (agent.out.stderr.match(/following container events/g) ?? []).length >= 2, 30_000, "the event stream to reconnect");
      const name = uniqueName("after-restart");
      await runContainer(name, { cmd: "echo bye; exit 5" });
      await messageAbout(name, /crashed: exit code 5/);
    } finally {
      expect(await agent.stop()).toBe(0);
    }
  }, 60_000);

  it("raises docker_unreachable when Docker stops answering, keeps host alerts working, and resolves when it is back", async () => {
    await removeAllContainers(rig);
    const config = CONFIG.replace("  disk: { enabled: false }", '  disk: { warning: 1, critical: null, for: 4s, mounts: ["/"] }');
    const agent = startAgent(config);
    try {
      await agentStarted(agent);
      await stopDockerd(rig);
      try {
        await until(() => fake.requests.find((r) => /CRITICAL: Docker is unreachable/.test(textsOf(r).join("\n"))), 15_000, "docker unreachable");
        // The host rule's `for` ends while Docker is down: host alerts still work.
        await until(() => fake.requests.find((r) => /WARNING: Disk \//.test(textsOf(r).join("\n"))), 15_000, "the host disk alert");
      } finally {
        await startDockerd(rig);
      }
      await until(() => fake.requests.find((r) => /RESOLVED: Docker is reachable again/.test(textsOf(r).join("\n"))), 15_000, "docker reachable again");
      expect(fake.requests.filter((r) => /Docker is unreachable/.test(textsOf(r).join("\n")))).toHaveLength(1);
    } finally {
      expect(await agent.stop()).toBe(0);
    }
  }, 60_000);

  it("raises docker_unreachable when the socket is missing (docker.enabled: true)", async () => {
    fake.reset();
    hideSocket(rig);
    let agent: Agent | undefined;
    try {
      agent = startAgent(CONFIG.replace("docker:\n", "docker:\n  enabled: true\n"));
      await until(() => fake.requests.find((r) => /CRITICAL: Docker is unreachable/.test(textsOf(r).join("\n"))), 15_000, "docker unreachable");
      const msg = fake.requests.find((r) => /Docker is unreachable/.test(textsOf(r).join("\n")))!;
      expect(JSON.stringify(msg.body)).toMatch(/no Docker socket|does not exist|not found/i);
    } finally {
      restoreSocket(rig);
    }
    await until(() => fake.requests.find((r) => /RESOLVED: Docker is reachable again/.test(textsOf(r).join("\n"))), 15_000, "docker reachable again");
    expect(await agent!.stop()).toBe(0);
  }, 60_000);
});
