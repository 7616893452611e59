/**
 * Delivery, end to end: the real `lookout run` process, real containers on the
 * rig's dockerd, and a local stand-in for Slack that fails the way Slack does
 * (500 for a long outage, 429 with Retry-After). What goes in is a crash; what
 * is checked is which notification ids reach Slack (`x-lookout-notification-id`),
 * in which order, and how often.
 *
 * The queue the agent holds is read with `lookout status --json` (its
 * `undelivered` list: id, kind, alert fingerprint, attempts), not from the
 * data directory's files, whose format is the store's business.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, startCli, workspace } from "../support/cli.js";
import { HOST_RULES_OFF } from "../support/configs.js";
import { FakeSlack, type RecordedRequest, validateSlackPayload } from "../support/fake-slack.js";
import { until as waitUntil } from "../support/wait.js";
import { currentRig, inspectContainer, type RigInfo, removeContainers, runContainer, setRig, uniqueName, waitContainer } from "./docker-rig.js";

let rig: RigInfo;
type Agent = ReturnType<typeof startCli>;

/** Every agent process and container started here, for the clean-up. */
const agents: Agent[] = [];
const containers: string[] = [];
const fakes: FakeSlack[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const until = <T>(fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs: number, what: string, context: () => string = () => ""): Promise<T> =>
  waitUntil(fn, timeoutMs, what, context, 250);

/** Crashes only, from our own containers: the host rules and container CPU/memory are off. */
const config = (prefix: string, groupWait = "1s") => `
interval: 1s
${HOST_RULES_OFF}
docker:
  unreachable_for: 30s
containers:
  include: ["${prefix}-*"]
  cpu: { enabled: false }
  memory: { enabled: false }
notify:
  repeat_interval: 0
  group_wait: ${groupWait}
  give_up_after: 1h
  slack:
    - webhook_url: \${HOOK}
`;

/** The ids a request carries, in the order of its header. */
const idsOf = (r: RecordedRequest): string[] =>
  String(r.headers["x-lookout-notification-id"] ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

/** One line per request, for failure messages: seconds after `t0` (default: the first request), status, ids. */
const requestLog = (fake: FakeSlack, t0 = fake.requests[0]?.at ?? 0) =>
  fake.requests.map((r) => `  +${((r.at - t0) / 1000).toFixed(1)}s ${r.status ?? "-"} ${r.method} ${r.path} ids=${idsOf(r).join(",")}`).join("\n");

interface Queued {
  id: string;
  kind: string;
  alert: string;
  receiver: string;
  attempts: number;
  last_error: string | null;
}

/** The agent's queue, from `lookout status --json` (works while `run` runs, and after it died). */
async function undelivered(ws: ReturnType<typeof workspace>, hook: string): Promise<Queued[]> {
  const r = await runCli(["status", "--json", "--config", ws.config, "--data-dir", ws.data], { env: { HOOK: hook, DOCKER_HOST: rig.host } });
  if (r.code !== 0) throw new Error(`lookout status exited ${r.code}: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { undelivered: Queued[] }).undelivered;
}

function startAgent(ws: ReturnType<typeof workspace>, hook: string): Agent {
  const agent = startCli(["run", "--config", ws.config, "--data-dir", ws.data], { env: { HOOK: hook, DOCKER_HOST: rig.host } });
  agents.push(agent);
  return agent;
}

async function agentStarted(agent: Agent, times = 1): Promise<void> {
  await until(
    () => (agent.out.stderr.match(/following container events/g) ?? []).length >= times,
    20_000,
    "the agent to follow Docker's events",
    () => agent.out.stderr,
  );
  // And its first look done: a container created before that is one "not running when Lookout started".
  await agent.firstCheck(20_000);
}

/** The container a crash notification is about: its fingerprint names it. */
const containerOf = (q: Queued, names: readonly string[]) => names.find((n) => q.alert.includes(`"${n}"`));

beforeAll(async () => {
  rig = await currentRig();
  setRig(rig);
});

afterAll(async () => {
  await Promise.allSettled(agents.map((a) => a.stop("SIGKILL", 5_000)));
  if (containers.length > 0) await removeContainers(containers).catch(() => undefined);
  await Promise.allSettled(fakes.map((f) => f.close()));
});

describe("delivery through a Slack outage", () => {
  it("A receiver that answers 500 for a while (at least 8 s, until every crash is queued), then 200: every alert raised meanwhile arrives afterwards, in order, once", async () => {
    const testStart = Date.now();
    // The outage lasts until every crash below is queued and tried, and at least this long: several retries
    // (backoff 1, 2, 4 s) of each side's first notifications. What it proves needs no longer outage.
    const MIN_OUTAGE_MS = 8_000;
    /**
     * Two agents at once, each with its own fake Slack, data directory and
     * containers. A runs throughout; B is killed with SIGKILL in the middle of
     * the outage, after its first two crashes are queued and tried; its third
     * container crashes while it is dead; it is started again on the same data
     * directory, and its fourth container crashes after that.
     * Each container crashes (exit 3) when the test tells it to (a file in a
     * directory it has mounted read-only), each after the previous one of its
     * side has been seen by that side's agent: the order they die in is the
     * test's, whatever the machine's speed.
     */
    const sigDir = mkdtempSync("/tmp/lookout-delivery-sig-");
    const sides = [
      { label: "A", crashes: 3 },
      { label: "B", crashes: 4 },
    ].map((s) => {
      const prefix = uniqueName(`dlv${s.label.toLowerCase()}`);
      const fake = new FakeSlack();
      fakes.push(fake);
      return {
        ...s,
        prefix,
        fake,
        hook: "",
        ws: workspace(config(prefix)),
        /** Crashes during the outage, in the order the test makes them happen. */
        names: Array.from({ length: s.crashes }, (_, i) => `${prefix}-${i + 1}`),
        /** A crash before the outage, delivered (200) before it starts. */
        before: `${prefix}-0`,
        agent: undefined as unknown as Agent,
        first: undefined as unknown as Agent,
      };
    });
    try {
      for (const s of sides) {
        await s.fake.start();
        s.hook = s.fake.url;
        s.agent = s.first = startAgent(s.ws, s.hook);
      }
      await Promise.all(sides.map((s) => agentStarted(s.agent)));

      // ---- before the outage: one crash each, accepted by Slack.
      for (const s of sides) {
        containers.push(s.before);
        await runContainer(s.before, { cmd: "echo before the outage; exit 3" });
      }
      await Promise.all(
        sides.map((s) =>
          until(
            () => s.fake.requests.some((r) => r.status === 200 && JSON.stringify(r.body).includes(s.before)),
            20_000,
            `${s.label}: the crash before the outage to be delivered`,
            () => requestLog(s.fake),
          ),
        ),
      );
      const acceptedBefore = new Map(sides.map((s) => [s.label, s.fake.requests.filter((r) => r.status === 200).flatMap(idsOf)]));
      for (const s of sides) expect(acceptedBefore.get(s.label), `${s.label}: one notification before the outage`).toHaveLength(1);

      // ---- the outage: every request answered 500 until the test ends it (outageEnd).
      const t0 = Date.now();
      let outageEnd = Number.POSITIVE_INFINITY;
      for (const s of sides) s.fake.respondBy((r) => (r.at < outageEnd ? { status: 500, body: "internal_error" } : undefined));

      // Every container of the outage runs, waiting to be told to crash.
      await Promise.all(
        sides.flatMap((s) =>
          s.names.map((name) => {
            containers.push(name);
            return runContainer(name, {
              cmd: `until test -f /sig/${name}; do usleep 50000; done; echo crash; exit 3`,
              binds: [`${sigDir}:/sig:ro`],
            });
          }),
        ),
      );
      /** Tells the container to crash, and waits for it to be gone. */
      const crash = async (name: string) => {
        writeFileSync(join(sigDir, name), "");
        expect(await waitContainer(name)).toBe(3);
      };
      /** The agent made the notification of this crash (its stdout has one line per notification). */
      const seen = (agent: Agent, name: string) =>
        until(
          () => agent.out.stdout.includes(`${name} crashed`),
          20_000,
          `the agent to see ${name} crash`,
          () => agent.out.stderr,
        );

      const a = sides.find((s) => s.label === "A")!;
      const b = sides.find((s) => s.label === "B")!;
      let bQueuedAtKill: Queued[] = [];
      let bQueuedAfterKill: Queued[] = [];
      let killedAt = 0;
      let restartedAt = 0;
      await Promise.all([
        (async () => {
          for (const name of a.names) {
            await crash(name);
            await seen(a.agent, name);
          }
        })(),
        (async () => {
          // ---- B: killed while its first two crashes wait in its queue, tried.
          for (const name of b.names.slice(0, 2)) {
            await crash(name);
            await seen(b.agent, name);
          }
          bQueuedAtKill = await until(
            async () => {
              const q = await undelivered(b.ws, b.hook);
              return q.length >= 2 && q.every((e) => e.attempts > 0) ? q : false;
            },
            20_000,
            "B's two first crashes to be queued and tried",
            () => requestLog(b.fake, t0),
          );
          b.agent.child.kill("SIGKILL");
          await b.agent.exited;
          killedAt = Date.now();
          // After the kill, its data directory still holds them, tried and not delivered.
          bQueuedAfterKill = await undelivered(b.ws, b.hook);
          // Its third container crashes while it is dead.
          await crash(b.names[2]!);
          b.agent = startAgent(b.ws, b.hook);
          await agentStarted(b.agent);
          restartedAt = Date.now();
          await seen(b.agent, b.names[2]!);
          await crash(b.names[3]!);
          await seen(b.agent, b.names[3]!);
        })(),
      ]);
      expect(
        bQueuedAfterKill.map((q) => containerOf(q, b.names)),
        "B's queue after SIGKILL",
      ).toEqual([b.names[0], b.names[1]]);
      for (const q of bQueuedAfterKill) {
        expect(q.kind).toBe("firing");
        expect(q.attempts).toBeGreaterThan(0);
        expect(q.last_error).toMatch(/HTTP 500/);
      }
      expect(bQueuedAfterKill.map((q) => q.id)).toEqual(bQueuedAtKill.slice(0, 2).map((q) => q.id));
      expect(restartedAt, "B restarted during the outage").toBeLessThan(outageEnd);
      expect(b.agent.out.stderr).toMatch(/notifications from before the restart are still queued count=2\b/);

      // ---- before the outage ends: every crash is queued, in the order it happened, each tried, and nothing was accepted.
      const queues = new Map<string, Queued[]>();
      await Promise.all(
        sides.map(async (s) => {
          const q = await until(
            async () => {
              const q = await undelivered(s.ws, s.hook);
              return q.length >= s.names.length && q.every((e) => e.attempts > 0) ? q : false;
            },
            30_000,
            `${s.label}: every crash to be queued and tried during the outage`,
            () => requestLog(s.fake, t0),
          );
          queues.set(s.label, q);
        }),
      );
      await sleep(Math.max(0, t0 + MIN_OUTAGE_MS - Date.now()));
      outageEnd = Date.now();
      for (const s of sides) {
        const q = queues.get(s.label)!;
        expect(
          q.map((e) => containerOf(e, s.names)),
          `${s.label}: the queue holds each crash once, in order`,
        ).toEqual(s.names);
        expect(q.every((e) => e.kind === "firing" && e.alert.startsWith("container_crashed"))).toBe(true);
        const during = s.fake.requests.filter((r) => r.at >= t0 && r.at < outageEnd);
        expect(during.every((r) => r.status === 500)).toBe(true);
        // Retried during the outage: its first notification was tried more than once.
        expect(during.filter((r) => idsOf(r).includes(q[0]!.id)).length, `${s.label}: ${q[0]!.id} retried during the outage\n${requestLog(s.fake, t0)}`).toBeGreaterThan(1);
      }
      // B's first two notifications are the ones that were queued when it was killed.
      expect(
        queues
          .get("B")!
          .slice(0, 2)
          .map((e) => e.id),
      ).toEqual(bQueuedAfterKill.map((e) => e.id));

      // ---- after the outage: everything arrives.
      const accepted = (s: (typeof sides)[number]) => s.fake.requests.filter((r) => r.status === 200 && r.at >= outageEnd);
      await Promise.all(
        sides.map((s) =>
          until(
            () => {
              const got = new Set(accepted(s).flatMap(idsOf));
              return queues.get(s.label)!.every((e) => got.has(e.id));
            },
            // Backoff after the failures of the outage (8 to ~20 s) is up to about 20 s (16 s ± 20 %, then group_wait).
            Math.max(1_000, outageEnd + 40_000 - Date.now()),
            `${s.label}: every queued notification to be delivered after the outage`,
            () => requestLog(s.fake, t0),
          ),
        ),
      );
      await sleep(2_000); // a duplicate would come now (group_wait is 1 s)

      const finished = new Map<string, number>();
      for (const s of sides) {
        for (const n of s.names) finished.set(n, Date.parse((await inspectContainer(n)).State.FinishedAt));
      }
      for (const s of sides) {
        const log = requestLog(s.fake, t0);
        const q = queues.get(s.label)!;
        const want = q.map((e) => e.id);
        const wanted = new Set(want);
        // Nothing answered other than 500 (outage) and 200 (after): every message was valid.
        for (const r of s.fake.requests) expect([200, 500], log).toContain(r.status);
        for (const r of accepted(s)) expect(validateSlackPayload(r.body), log).toBeNull();

        // Each id exactly once among the accepted requests, in queue order within and across messages.
        const got = accepted(s).flatMap(idsOf);
        expect(got, `${s.label}: ids delivered after the outage\n${log}`).toEqual(want);
        // The order they were queued in is the order the containers died.
        const byDeath = [...s.names].sort((x, y) => finished.get(x)! - finished.get(y)!);
        expect(
          q.map((e) => containerOf(e, s.names)),
          `${s.label}: crashes in the order they happened`,
        ).toEqual(byDeath);
        // Every crashed container is named in the message that carries its id.
        for (const e of q) {
          const name = containerOf(e, s.names)!;
          const msg = accepted(s).find((r) => idsOf(r).includes(e.id))!;
          expect(JSON.stringify(msg.body), `${s.label}: the message with ${e.id} names ${name}`).toContain(`${name} crashed`);
        }
        // Once accepted, never sent again: not the notification from before the outage, not those after.
        for (const r of s.fake.requests.filter((x) => x.status === 200)) {
          for (const id of idsOf(r)) {
            const again = s.fake.requests.filter((x) => x.at > r.at && idsOf(x).includes(id));
            expect(again, `${s.label}: ${id} was sent again after Slack accepted it\n${log}`).toEqual([]);
          }
        }
        const before = acceptedBefore.get(s.label)!;
        expect(
          s.fake.requests.filter((r) => idsOf(r).some((id) => before.includes(id))),
          `${s.label}: the notification accepted before the outage`,
        ).toHaveLength(1);
        expect(got.some((id) => wanted.has(id) && before.includes(id))).toBe(false);
        // And the agent's queue is empty.
        expect(await undelivered(s.ws, s.hook)).toEqual([]);
      }
      // B: what was accepted before the kill (its crash before the outage) was not re-sent by the restarted agent.
      const bBefore = acceptedBefore.get("B")!;
      expect(b.fake.requests.filter((r) => r.at >= restartedAt && idsOf(r).some((id) => bBefore.includes(id)))).toEqual([]);
      // The crash that happened while B was dead was found by the restarted agent (its stdout has one line per notification).
      const deadCrash = b.names[2]!;
      expect(finished.get(deadCrash)!).toBeGreaterThan(killedAt);
      expect(finished.get(deadCrash)!).toBeLessThan(restartedAt);
      expect(b.first.out.stdout).not.toContain(`${deadCrash} crashed`);
      expect(b.agent.out.stdout.split("\n").filter((l) => l.includes(`${deadCrash} crashed`))).toHaveLength(1);

      for (const s of sides) expect(await s.agent.stop(), `${s.label} stops cleanly`).toBe(0);
      expect(b.first.child.signalCode).toBe("SIGKILL");
      for (const s of sides) {
        for (const a of s.label === "B" ? [b.first, b.agent] : [s.agent]) expect(a.out.stderr).not.toMatch(/\n\s+at /);
      }
      if (process.env.LOOKOUT_TEST_DEBUG) {
        for (const s of sides) process.stderr.write(`${s.label} (seconds after the outage began):\n${requestLog(s.fake, t0)}\n`);
      }
      process.stderr.write(`delivery outage test: ${((Date.now() - testStart) / 1000).toFixed(1)} s, outage ${((outageEnd - t0) / 1000).toFixed(1)} s\n`);
    } finally {
      rmSync(sigDir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe("delivery when Slack rate-limits", () => {
  it("429 with Retry-After: 3: no request before 3 s have passed, then the notification arrives exactly once", async () => {
    const fake = new FakeSlack();
    fakes.push(fake);
    await fake.start();
    const prefix = uniqueName("dlvrl");
    const ws = workspace(config(prefix));
    const agent = startAgent(ws, fake.url);
    await agentStarted(agent);
    fake.respondWith([{ status: 429, body: "rate_limited", headers: { "retry-after": "3" } }]);
    const name = `${prefix}-1`;
    containers.push(name);
    await runContainer(name, { cmd: "echo bye; exit 3" });

    await until(
      () => fake.requests.some((r) => r.status === 200),
      20_000,
      "the retry to be accepted",
      () => requestLog(fake),
    );
    await sleep(2_000); // a duplicate would come now
    const log = requestLog(fake);
    const [first, second] = fake.requests;
    expect(fake.requests, log).toHaveLength(2);
    expect(first!.status).toBe(429);
    expect(second!.status).toBe(200);
    expect(second!.at - first!.at, log).toBeGreaterThanOrEqual(2_950);
    expect(idsOf(first!)).toHaveLength(1);
    expect(idsOf(second!)).toEqual(idsOf(first!));
    expect(JSON.stringify(second!.body)).toContain(`${name} crashed: exit code 3`);
    expect(agent.out.stderr).toMatch(/will retry .*retry_in_ms=3000/);
    expect(await undelivered(ws, fake.url)).toEqual([]);
    expect(await agent.stop()).toBe(0);
  }, 60_000);
});
