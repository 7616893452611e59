/**
 * The dashboard against a real dockerd (the rig): the real `lookout run` with
 * its HTTP server and a token, a container that runs a few seconds and
 * crashes (exit 3) beside one that keeps running, Slack a local stand-in.
 * In chromium (test/browser/browser.ts): the crashed container is listed
 * first, and its own view marks the crash on its chart, with the Slack
 * delivery of its alert. No console error and no failed request.
 */
import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentAddress, checkPrerequisites, launch, open, Problems, shot, signIn } from "../browser/browser.js";
import { startCli, workspace } from "../support/cli.js";
import { HOST_RULES_OFF } from "../support/configs.js";
import { FakeSlack } from "../support/fake-slack.js";
import { textsOf } from "../support/slack-texts.js";
import { until } from "../support/wait.js";
import { currentRig, type RigInfo, removeAllContainers, runContainer, setRig, uniqueName } from "./docker-rig.js";

const TOKEN = "dashboard-suite-token-7d31c0e9";
let rig: RigInfo;
const fake = new FakeSlack();
let agent: ReturnType<typeof startCli>;
let browser: Browser | undefined;
let context: BrowserContext;
let base = "";
const problems = new Problems();

beforeAll(async () => {
  checkPrerequisites();
  rig = await currentRig();
  setRig(rig);
  await fake.start();
  const ws = workspace(`
interval: 1s
${HOST_RULES_OFF}
http:
  auth_token: ${TOKEN}
notify:
  group_wait: 0s
  slack:
    - webhook_url: \${HOOK}
`);
  agent = startCli(["run", "--config", ws.config, "--data-dir", ws.data], { env: { HOOK: fake.url, DOCKER_HOST: rig.host, LOOKOUT_HTTP_LISTEN: "127.0.0.1:0" } });
  await until(
    () => agent.out.stderr.includes("following container events"),
    20_000,
    "the agent to follow Docker's events",
    () => agent.out.stderr,
  );
  base = await agentAddress(agent.out);
  browser = await launch();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(15_000);
}, 60_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  const code = await agent?.stop();
  await removeAllContainers(rig);
  await fake.close();
  expect(code, agent?.out.stderr).toBe(0);
}, 60_000);

describe("the dashboard with real containers", () => {
  it("lists a container that crashed first and marks the crash on its chart, with its Slack delivery", async () => {
    const running = uniqueName("dash-ok");
    const crashing = uniqueName("dash-crash");
    await runContainer(running);
    // Runs long enough for a few samples (its chart has a line), then crashes.
    await runContainer(crashing, { cmd: "echo starting; sleep 4; echo 'fatal: <b>gone</b>' >&2; exit 3" });
    await until(
      () => fake.requests.some((r) => textsOf(r).some((t) => t.includes(crashing) && /crashed: exit code 3/.test(t))),
      30_000,
      `Slack told of ${crashing}'s crash`,
      () => agent.out.stderr.slice(-3000),
    );
    // The delivery is in the journal once Slack has accepted it.
    await until(
      async () => {
        const r = await fetch(`${base}/api/v1/events?kind=notification.&container=${crashing}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
        return ((await r.json()) as { events: unknown[] }).events.length > 0;
      },
      15_000,
      "the crash's delivery in the events journal",
    );

    await signIn(context, base, TOKEN, problems);
    const table = await open(context, base, "#/containers", problems);
    const first = table.locator("table.containers tbody tr").first();
    expect(await first.getAttribute("data-container")).toBe(crashing);
    expect(await first.textContent()).toMatch(/crashed/);
    expect(await table.locator(`tr[data-container="${running}"]`).count()).toBe(1);

    const view = await open(context, base, `#/containers/${crashing}?from=-10m`, problems);
    const marker = view.locator('figure[data-chart="container-cpu"] g.marker.m-crash');
    expect(await marker.count()).toBeGreaterThan(0);
    expect(await marker.first().getAttribute("aria-label")).toMatch(/exited \(crash, code 3\).*delivered to slack\[0\]/);
    expect(await view.textContent("pre.logs")).toContain("fatal: <b>gone</b>");
    await shot(view, "container-crashed-dockerd");
    expect(problems.take(), "the browser logged errors or failed requests").toEqual([]);
  });
});
