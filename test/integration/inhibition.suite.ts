/**
 * Inhibition, end to end: the real `lookout run` process, the rig's real
 * dockerd killed with SIGKILL (a daemon crash, not a clean stop) while
 * containers run and then started again on the same data root, real
 * containers of the busybox test image, and the local stand-in for Slack.
 *
 * While Docker does not answer (docker_unreachable pending or firing),
 * container alerts are held back. A container death caused (its exit time)
 * before Docker answered again stays held for the hold after that
 * (src/pipeline/lifecycle.ts inhibitHoldMs) and is sent only if it still fires then; a
 * crash after Docker is back is sent at once. A daemon crash must page once,
 * not once per container.
 *
 * What Docker (20.10, no live-restore) does with the containers of a dockerd
 * killed with SIGKILL, as seen with this rig: containerd dies with dockerd
 * (its child); the shims and the containers keep running. The new dockerd,
 * while it restores and before it answers its API (the socket accepts
 * connections, requests wait), stops every container it finds still running:
 * `kill` (SIGTERM), SIGKILL 10 s later for those still there, `die` and
 * `stop` events; it records the exit code and FinishedAt = that moment. A
 * container that exited while dockerd was dead is recorded with its real
 * exit code and exit time. Then it starts again those with `--restart
 * always` (RestartCount unchanged), still before answering. So:
 * - an app that exits on SIGTERM (the rig's DEFAULT_CMD): exit code 143. Not a
 *   `docker stop` (nobody can ask a daemon that does not answer: Lookout
 *   ignores the kill/stop events and 143 exits of the outage as requests), so
 *   a death like any other: held, and reported if it does not come back;
 * - a bare `sleep` as PID 1 ignores SIGTERM and is SIGKILLed: exit code 137,
 *   10 s into the restore, less than a second before dockerd answers;
 * - an app that crashed (exit 1) while dockerd was dead: exit code 1, at its
 *   real exit time, inside the outage.
 * The exit codes Docker recorded are printed with LOOKOUT_TEST_DEBUG=1: a
 * restart=no container that Docker left down with a non-zero code is reported
 * once, and only after the hold; the restart-always ones, never.
 *
 * This test found two bugs, both fixed: deaths Docker caused while restoring
 * (after the last cycle that saw it unreachable, before it answered) were not
 * held, and its replayed restore `kill` + `die` made them requested stops.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCli, workspace } from "../support/cli.js";
import { HOST_RULES_OFF } from "../support/configs.js";
import { FakeSlack, type RecordedRequest, validateSlackPayload } from "../support/fake-slack.js";
import { textsOf } from "../support/slack-texts.js";
import { until as waitUntil } from "../support/wait.js";
import { currentRig, docker, inspectContainer, killDockerd, type RigInfo, removeAllContainers, runContainer, setRig, startDockerd, uniqueName } from "./docker-rig.js";

let rig: RigInfo;
const fake = new FakeSlack();

const INTERVAL_MS = 1_000;
const RESOLVE_AFTER_MS = 2_000;
/** src/pipeline/lifecycle.ts inhibitHoldMs: max(crashed, oom_killed resolve_after) (both 2 s here) + max(3 × interval, 10 s) = 12 s. */
const HOLD_MS = RESOLVE_AFTER_MS + Math.max(3 * INTERVAL_MS, 10_000);

const CONFIG = `
interval: 1s
${HOST_RULES_OFF}
docker:
  unreachable_for: 2s
containers:
  crashed: { resolve_after: 2s }
  oom_killed: { resolve_after: 2s }
  cpu: { enabled: false }
  memory: { enabled: false }
  not_running: { for: 2s }
notify:
  repeat_interval: 0
  group_wait: 300ms
  slack:
    - webhook_url: \${HOOK}
`;

type Agent = ReturnType<typeof startCli>;

function startAgent(config = CONFIG): Agent {
  const ws = workspace(config);
  return startCli(["run", "--config", ws.config, "--data-dir", ws.data], { env: { HOOK: fake.url, DOCKER_HOST: rig.host } });
}

/** Whether any text of the message matches (a title, or a group message's section). */
const says = (r: RecordedRequest, re: RegExp) => textsOf(r).some((t) => re.test(t));
/** Messages with a text (title or section) that names the container and matches. */
const saying = (name: string, re: RegExp) => fake.requests.filter((r) => textsOf(r).some((t) => t.includes(name) && re.test(t)));
/** Messages naming a container anywhere. */
const about = (name: string) => fake.requests.filter((r) => new RegExp(`\\b${name}\\b`).test(JSON.stringify(r.body)));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const iso = (t: number) => new Date(t).toISOString();
const describeAll = () => fake.requests.map((r) => `${iso(r.at)} ${textsOf(r)[0]}`).join("\n");

const until = <T>(fn: () => T | undefined | false, timeoutMs: number, what: string): Promise<T> => waitUntil(fn, timeoutMs, what, () => `messages so far:\n${describeAll()}`);

async function agentStarted(agent: Agent): Promise<void> {
  await until(() => agent.out.stderr.includes("following container events"), 15_000, "the agent to follow Docker's events");
  // And its first look done: a container created before that is one "not running when Lookout started".
  await agent.firstCheck();
}

/**
 * The agent's stdout: one line per notification made, `<cycle time> <title>`,
 * the cycle time being the `now` of the cycle that made it (for a resolved
 * docker_unreachable: when the inhibitor's hold starts).
 */
function notificationLines(agent: Agent): Array<{ at: number; title: string }> {
  return agent.out.stdout
    .split("\n")
    .map((l) => /^(\S+) (.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null && Number.isFinite(Date.parse(m[1]!)))
    .map((m) => ({ at: Date.parse(m[1]!), title: m[2]! }));
}

interface Recorded {
  status: string;
  exitCode: number;
  finishedAt: number;
  startedAt: number;
  restartCount: number;
}

async function inspectState(name: string): Promise<Recorded> {
  const c = await inspectContainer(name);
  return { status: c.State.Status, exitCode: c.State.ExitCode, finishedAt: Date.parse(c.State.FinishedAt), startedAt: Date.parse(c.State.StartedAt), restartCount: c.RestartCount };
}

/** Docker's own account of what it did to the containers, from its event buffer: `time action name [exitCode]`. */
async function containerEventsBetween(from: number, to: number): Promise<Array<{ at: number; action: string; name: string; exitCode: number | null }>> {
  const out = await docker(
    [
      "events",
      "--since",
      (from / 1000).toFixed(3),
      "--until",
      (to / 1000).toFixed(3),
      "--filter",
      "type=container",
      "--format",
      "{{.TimeNano}} {{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.exitCode}}",
    ],
    { timeoutMs: 15_000 },
  );
  return out
    .split("\n")
    .filter(Boolean)
    .map((l) => {
      const [nano, action, name, code] = l.split(" ");
      return { at: Math.floor(Number(nano) / 1e6), action: action!, name: name!, exitCode: code && /^\d+$/.test(code) ? Number(code) : null };
    });
}

/** A clean exit: never a crash. (143 and 130 are a stop only when someone could have asked for it: not while Docker did not answer.) */
const STOP_CODES = new Set([0]);

beforeAll(async () => {
  rig = await currentRig();
  setRig(rig);
  await fake.start();
});

afterAll(async () => {
  await removeAllContainers(rig).catch(() => undefined);
  await fake.close();
});

describe("a Docker daemon crash (dockerd killed with SIGKILL, started again on the same data root)", () => {
  let agent: Agent;
  const prefix = uniqueName("dc");
  const sigDir = mkdtempSync("/tmp/lookout-inhibit-sig-");
  /**
   * Crashes with exit 1 once the test creates /sig/go (after dockerd is
   * killed), once: started again, it finds its marker and runs until stopped.
   */
  const CRASH_WHEN_TOLD =
    "if test -f /crashed; then trap 'exit 143' TERM; sleep 86400 & wait; exit 143; fi; " + "until test -f /sig/go; do usleep 100000; done; touch /crashed; echo giving up; exit 1";
  const containers = {
    /** An app that exits on SIGTERM, restart always. */
    alwaysApp: `${prefix}-always-app`,
    /** A bare sleep as PID 1 (ignores SIGTERM), restart always. */
    alwaysSleep: `${prefix}-always-sleep`,
    /** Crashes (exit 1) while dockerd is dead, restart always. */
    alwaysCrashed: `${prefix}-always-crashed`,
    /** An app that exits on SIGTERM, restart no. */
    noApp: `${prefix}-no-app`,
    /** A bare sleep as PID 1, restart no. */
    noSleep: `${prefix}-no-sleep`,
    /** Crashes (exit 1) while dockerd is dead, restart no. */
    noCrashed: `${prefix}-no-crashed`,
  };
  const always = [containers.alwaysApp, containers.alwaysSleep, containers.alwaysCrashed];
  /** Crashes (exit 3) a few seconds after Docker is back. */
  const late = `${prefix}-late`;
  const states: Record<string, Recorded> = {};
  /** Exit code of each container's `die` while Docker restored (inspect shows 0 again for those it started again). */
  const diedWith: Record<string, number | null> = {};
  let killedAt = 0;
  let answeringAt = 0;
  let lateState: Recorded;
  let dockerdDown = false;

  const short = (n: string) => n.slice(prefix.length + 1);
  /** The agent's stdout line of the cycle that saw Docker reachable again: when the hold began. */
  const reachableCycle = () => notificationLines(agent).find((l) => /RESOLVED: Docker is reachable again/.test(l.title));

  beforeAll(async () => {
    await removeAllContainers(rig);
    fake.reset();
    agent = startAgent();
    await agentStarted(agent);
    const sig = [`${sigDir}:/sig:ro`];
    await runContainer(containers.alwaysApp, { restart: "always" });
    await runContainer(containers.alwaysSleep, { restart: "always", cmd: ["sleep", "86400"] });
    await runContainer(containers.alwaysCrashed, { restart: "always", cmd: CRASH_WHEN_TOLD, binds: sig });
    await runContainer(containers.noApp, { restart: "no" });
    await runContainer(containers.noSleep, { restart: "no", cmd: ["sleep", "86400"] });
    await runContainer(containers.noCrashed, { restart: "no", cmd: CRASH_WHEN_TOLD, binds: sig });
    await sleep(2_500); // the agent has listed and inspected them

    killedAt = Date.now();
    dockerdDown = true;
    await killDockerd(rig);
    writeFileSync(join(sigDir, "go"), "");
    await until(() => fake.requests.find((r) => says(r, /CRITICAL: Docker is unreachable/)), 15_000, "Docker is unreachable");
    await sleep(1_000);
    // Resolves when dockerd answers /_ping: after its restore, which gives the sleeps 10 s to stop.
    await startDockerd(rig);
    dockerdDown = false;
    answeringAt = Date.now();
    await until(() => fake.requests.find((r) => says(r, /RESOLVED: Docker is reachable again/)), 20_000, "Docker is reachable again");

    for (const n of Object.values(containers)) states[n] = await inspectState(n);
    const events = await containerEventsBetween(killedAt, Date.now());
    for (const n of Object.values(containers)) diedWith[n] = events.find((e) => e.name === n && e.action === "die")?.exitCode ?? null;
    if (process.env.LOOKOUT_TEST_DEBUG) {
      process.stderr.write(
        [
          `dockerd killed ${iso(killedAt)}, answering again ${iso(answeringAt)}; Docker's events meanwhile:`,
          ...events.map((e) => `  ${iso(e.at)} ${e.action} ${short(e.name)}${e.exitCode !== null ? ` exitCode=${e.exitCode}` : ""}`),
          "inspected:",
          ...Object.entries(states).map(
            ([n, s]) => `  ${short(n)}: ${s.status}, exit code ${s.exitCode}, finished ${iso(s.finishedAt)}, started ${iso(s.startedAt)}, restarts ${s.restartCount}`,
          ),
        ].join("\n") + "\n",
      );
    }

    await runContainer(late, { cmd: "echo late; sleep 3; exit 3" });
    await until(() => saying(late, /crashed/)[0], 15_000, `a message about ${late}`);
    lateState = await inspectState(late);

    // Past the hold after Docker was back, with room for a held alert's release cycle and group_wait.
    await sleep(Math.max(0, answeringAt + HOLD_MS + 5_000 - Date.now()));
  }, 120_000);

  afterAll(async () => {
    rmSync(sigDir, { recursive: true, force: true });
    if (dockerdDown) await startDockerd(rig).catch(() => undefined);
    if (process.env.LOOKOUT_TEST_DEBUG) {
      process.stderr.write(`messages:\n${describeAll()}\nagent stdout:\n${agent?.out.stdout}\nagent stderr:\n${agent?.out.stderr}\n`);
    }
    if (agent) {
      expect(await agent.stop()).toBe(0);
      expect(agent.out.stderr).not.toMatch(/\n\s+at /);
    }
  });

  /**
   * A restart=no container Docker left exited: with a stop code, nothing is
   * said; with a crash code, one message, not before the hold after the
   * cycle that saw Docker reachable again.
   */
  function expectAsItsExitCodeSays(name: string): void {
    const s = states[name]!;
    expect(s.status).toBe("exited");
    const context = () =>
      `${short(name)} exited ${iso(s.finishedAt)} with exit code ${s.exitCode}; dockerd killed ${iso(killedAt)}, answering again ${iso(answeringAt)}; ` +
      `the cycle that saw it reachable ran at ${reachableCycle() ? iso(reachableCycle()!.at) : "?"} (hold ${HOLD_MS} ms).\n` +
      `messages:\n${describeAll()}\nagent log:\n${agent.out.stderr}`;
    if (STOP_CODES.has(s.exitCode)) {
      expect(about(name), context()).toEqual([]);
      return;
    }
    const crashes = saying(name, new RegExp(`crashed: exit code ${s.exitCode}\\b`));
    expect(crashes, `no crash message: ${context()}`).toHaveLength(1);
    expect(about(name), context()).toHaveLength(1);
    const reachable = reachableCycle();
    expect(reachable, `agent stdout:\n${agent.out.stdout}`).toBeDefined();
    // A lower bound only: the hold begins with the cycle that saw Docker reachable again (its time on the agent's stdout).
    expect(crashes[0]!.at - reachable!.at, `sent before the hold was over: ${context()}`).toBeGreaterThanOrEqual(HOLD_MS);
  }

  it("pages 'Docker is unreachable' once and 'Docker is reachable again' once, in messages Slack takes", () => {
    for (const r of fake.requests) expect(validateSlackPayload(r.body)).toBeNull();
    expect(
      fake.requests.filter((r) => says(r, /Docker is unreachable/)),
      describeAll(),
    ).toHaveLength(1);
    expect(
      fake.requests.filter((r) => says(r, /Docker is reachable again/)),
      describeAll(),
    ).toHaveLength(1);
    expect(fake.requests.findIndex((r) => says(r, /Docker is unreachable/))).toBeLessThan(fake.requests.findIndex((r) => says(r, /Docker is reachable again/)));
  });

  it("says nothing about the restart-always containers Docker started again, the one that crashed while it was dead included", () => {
    for (const n of always) {
      expect(states[n]!.status).toBe("running");
      expect(states[n]!.startedAt).toBeGreaterThan(killedAt);
      expect(about(n), `messages about ${short(n)} (exit code ${diedWith[n] ?? "?"} in the outage, then started again):\n${describeAll()}`).toEqual([]);
    }
  });

  it("holds back a restart=no container that crashed while dockerd was dead, and reports it once the hold is over", () => {
    const s = states[containers.noCrashed]!;
    expect(s.exitCode).toBe(1);
    expect(s.finishedAt).toBeGreaterThan(killedAt);
    expect(s.finishedAt).toBeLessThan(answeringAt);
    expectAsItsExitCodeSays(containers.noCrashed);
    expect(agent.out.stderr).toMatch(
      new RegExp(`notification held back alert="container_crashed\\{container=\\\\"${containers.noCrashed}\\\\".*by="inhibited by docker_unreachable"`),
    );
  });

  it("reports a restart=no app Docker stopped with SIGTERM at its restore (143: no one asked for it) once, and only after the hold", () => {
    expect(states[containers.noApp]!.finishedAt).toBeGreaterThan(killedAt);
    expectAsItsExitCodeSays(containers.noApp);
  });

  it("reports a restart=no sleep Docker SIGKILLed at its restore (137) once, and only after the hold", () => {
    expect(states[containers.noSleep]!.finishedAt).toBeGreaterThan(killedAt);
    expectAsItsExitCodeSays(containers.noSleep);
  });

  it("reports a crash a few seconds after Docker is back at once, not held", () => {
    expect(lateState.exitCode).toBe(3);
    expect(lateState.finishedAt).toBeGreaterThan(answeringAt + 2_000);
    const msgs = saying(late, /CRITICAL: Container .* crashed: exit code 3 \(application error\)/);
    expect(msgs, describeAll()).toHaveLength(1);
    // Held, it would wait for the hold (12 s) after Docker came back; sent at once, it comes within a cycle and group_wait of the exit.
    expect(msgs[0]!.at - lateState.finishedAt, describeAll()).toBeLessThan(5_000);
    expect(about(late)).toHaveLength(1);
  });
});
