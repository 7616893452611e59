/**
 * The dashboard in a real browser (Debian's chromium, driven by
 * playwright-core) against the real `lookout run` (the built CLI) and its HTTP
 * server, with a token: the agent watches this machine and a Docker stand-in
 * (fake-docker.ts) with a crashed, an unhealthy and two running containers,
 * and sends to a fake Slack. Every page the test opens must log no console
 * error (a CSP refusal is one), no uncaught exception and no failed request.
 * Screenshots go to test-output/browser/ (and docs/screenshots/, the README's,
 * with LOOKOUT_UPDATE_SCREENSHOTS=1).
 *
 * Needs `npm run build` first (npm test does it) and /usr/bin/chromium
 * (scripts/install-test-deps.sh installs it). Talks only to 127.0.0.1.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { FixtureServer } from "../collect/docker/fixture-server.js";
import { runCli, startCli, workspace } from "../support/cli.js";
import { FakeSlack } from "../support/fake-slack.js";
import { until } from "../support/wait.js";
import { agentAddress, checkPrerequisites, launch, open as openPage, Problems, pageOf, shot } from "./browser.js";
import { fakeDocker, HOSTILE_LOG_LINE } from "./fake-docker.js";

const TOKEN = "browser-test-token-4f9c2a7e1b";
const CRASHED = "shop-api-1";

let docker: FixtureServer | undefined;
let slack: FakeSlack | undefined;
let agent: ReturnType<typeof startCli> | undefined;
let browser: Browser | undefined;
let context: BrowserContext | undefined;
let base = "";
let dataArgs: string[] = [];
const problems = new Problems();
const watch = (page: Page) => problems.watch(page);
const open = (hash: string) => openPage(context!, base, hash, problems);
const bearer = { headers: { Authorization: `Bearer ${TOKEN}` } };

beforeAll(async () => {
  checkPrerequisites();
  const fake = await fakeDocker([
    { name: "cache-1", kind: "running", image: "redis:7", labels: { "com.docker.compose.project": "shop", "com.docker.compose.service": "cache" } },
    { name: "db-1", kind: "unhealthy", image: "postgres:16", labels: { "com.docker.compose.project": "shop", "com.docker.compose.service": "db" } },
    {
      name: CRASHED,
      kind: "crashed",
      image: "shop/api:2.3.1",
      labels: { "com.docker.compose.project": "shop", "com.docker.compose.service": "api", "lookout.crashed.severity": "critical" },
    },
    { name: "web-1", kind: "running", image: "nginx:1.27", labels: { "com.docker.compose.project": "shop", "com.docker.compose.service": "web" } },
  ]);
  docker = fake.server;
  slack = new FakeSlack();
  const { url } = await slack.start();
  const ws = workspace(
    ["interval: 1s", "http:", `  auth_token: ${TOKEN}`, "docker:", `  socket: ${fake.host}`, "notify:", "  group_wait: 0s", "  slack:", `    - webhook_url: ${url}`, ""].join("\n"),
  );
  dataArgs = ["--config", ws.config, "--data-dir", ws.data];
  agent = startCli(["run", ...dataArgs], { env: { LOOKOUT_HTTP_LISTEN: "127.0.0.1:0" } });
  await agent.firstCheck(30_000);
  base = await agentAddress(agent.out);
  browser = await launch();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: "light" });
  context.setDefaultTimeout(15_000);
}, 90_000);

afterEach(() => {
  expect(problems.take(), "the browser logged errors or failed requests").toEqual([]);
});

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  const code = await agent?.stop();
  await docker?.dispose();
  await slack?.close();
  if (code !== undefined && code !== 0) throw new Error(`lookout run exited ${code}:\n${agent?.out.stderr}`);
}, 30_000);

describe("the dashboard in chromium", () => {
  it("signs in with the token and refuses a wrong one (the form and the API)", async () => {
    const page = await pageOf(context!, problems);
    await page.goto(`${base}/`);
    expect(new URL(page.url()).pathname).toBe("/login");
    problems.expected.push({ url: /\/login$/, status: 401 });
    await page.fill('input[name="token"]', "not-the-token-at-all-0000");
    await Promise.all([page.waitForLoadState(), page.press('input[name="token"]', "Enter")]);
    expect(new URL(page.url()).pathname).toBe("/login");
    expect(await page.textContent("body")).toMatch(/wrong token/i);
    await page.fill('input[name="token"]', TOKEN);
    await Promise.all([page.waitForURL(`${base}/`), page.press('input[name="token"]', "Enter")]);
    await page.waitForSelector('main[data-view="overview"]');
    const cookies = await context!.cookies();
    const session = cookies.find((c) => c.name === "lookout_session");
    expect(session?.httpOnly).toBe(true);
    expect(session?.sameSite).toBe("Strict");
    expect(session?.value).not.toContain(TOKEN);
    // The API: a wrong Bearer token is refused, the right one answers.
    const wrong = await fetch(`${base}/api/v1/status`, { headers: { Authorization: "Bearer wrong-token-0123456789" } });
    expect(wrong.status).toBe(401);
    const right = await fetch(`${base}/api/v1/status`, bearer);
    expect(right.status).toBe(200);
    problems.expected.length = 0;
  });

  it("the overview shows the host now and draws its charts with data", async () => {
    // A few cycles, so that every host chart has more than one point.
    await until(
      async () => {
        const r = await fetch(`${base}/api/v1/history?metric=host_memory&from=-5m`, bearer);
        const body = (await r.json()) as { series: Array<{ points: unknown[] }> };
        return (body.series[0]?.points.length ?? 0) >= 8;
      },
      30_000,
      "eight points of host_memory",
    );
    // The last minute: points a second apart (the hour's would be 12 s buckets, one or two so far).
    const page = await open("#/?from=-1m");
    expect(await page.textContent("h1")).toContain((await (await fetch(`${base}/api/v1/status`, bearer)).json()).hostname);
    // network, disk-io, disk-busy: this machine's interfaces and disks (the sandbox has eth0 and vda), rates from /proc/net/dev and /proc/diskstats
    for (const id of ["cpu", "memory", "disk", "load", "network", "disk-io", "disk-busy"]) {
      const lines = page.locator(`figure[data-chart="${id}"] svg path.line, figure[data-chart="${id}"] svg path.area`);
      expect(await lines.count(), `chart ${id} has a line`).toBeGreaterThan(0);
      const d = await lines.first().getAttribute("d");
      expect(d?.match(/L/g)?.length ?? 0, `chart ${id} joins points`).toBeGreaterThan(0);
    }
    expect(await page.locator(".tile").count()).toBeGreaterThan(4);
    await shot(page, "overview");
    // The alerts that fired (db-1 unhealthy) are marked on the charts, and a marker says where its notification went.
    expect(await page.locator('figure[data-chart="network"] g.marker').count()).toBe(await page.locator('figure[data-chart="cpu"] g.marker').count());
    expect(await page.textContent('figure[data-chart="network"]')).toMatch(/received/);
    const marker = page.locator('figure[data-chart="cpu"] g.marker').first();
    await marker.focus();
    await page.keyboard.press("Enter");
    const selected = page.locator("ol.events > li.selected");
    expect(await selected.count()).toBe(1);
    expect(await selected.textContent()).toMatch(/delivered to slack\[0\]/);

    // A phone, in the dark: the same page fits its width.
    const phone = await browser!.newContext({ viewport: { width: 390, height: 844 }, colorScheme: "dark", storageState: await context!.storageState() });
    try {
      const small = watch(await phone.newPage());
      await small.goto(`${base}/#/?from=-1m`);
      await small.waitForSelector('main[aria-busy="false"]', { timeout: 15_000 });
      expect(await small.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      expect(await small.evaluate(() => getComputedStyle(document.body).backgroundColor)).not.toBe("rgb(246, 247, 249)");
      await shot(small, "overview-phone-dark");
    } finally {
      await phone.close();
    }
  });

  it("the containers table lists the crashed container first, sorts by keyboard and filters", async () => {
    const page = await open("#/containers");
    const first = page.locator("table.containers tbody tr").first();
    expect(await first.getAttribute("data-container")).toBe(CRASHED);
    expect(await first.textContent()).toMatch(/crashed/);
    await shot(page, "containers");
    // Sort by name with the keyboard: Tab to the header's button, Enter.
    await page.focus('button[data-sort="name"]');
    await page.keyboard.press("Enter");
    expect(await page.getAttribute('th:has(button[data-sort="name"])', "aria-sort")).toBe("ascending");
    expect(await page.locator("table.containers tbody tr").first().getAttribute("data-container")).toBe("cache-1");
    await page.keyboard.press("Enter");
    expect(await page.getAttribute('th:has(button[data-sort="name"])', "aria-sort")).toBe("descending");
    expect(await page.locator("table.containers tbody tr").first().getAttribute("data-container")).toBe("web-1");
    await page.fill("#container-filter", "postgres");
    expect(await page.locator("table.containers tbody tr").count()).toBe(1);
    expect(await page.locator("table.containers tbody tr").first().getAttribute("data-container")).toBe("db-1");
    await page.fill("#container-filter", "");
  });

  it("a container's view shows its charts, its alerts and its logs as text", async () => {
    const page = await open(`#/containers/${CRASHED}?at=${Date.now() - 5_000}`);
    expect(await page.textContent("h1")).toContain(CRASHED);
    await page.waitForSelector("pre.logs");
    expect(await page.textContent("pre.logs")).toContain(HOSTILE_LOG_LINE);
    expect(await page.locator("#injected").count()).toBe(0);
    expect(await page.title()).not.toContain("PWNED");
    expect(await page.textContent("main")).toMatch(/container_crashed|exited/);
    // Its policy as the API works it out: its label lookout.crashed.severity=critical, durations in words
    const policy = page.locator("dl.policy");
    expect(await policy.textContent()).toMatch(/crashed.*severity: critical/);
    expect(await policy.textContent()).toMatch(/resolve_after: 1 min/);
    await shot(page, "container");
    const web = await open("#/containers/web-1");
    await web.waitForSelector('figure[data-chart="container-cpu"] svg path.line, figure[data-chart="container-cpu"] svg circle.dot', { state: "attached" });
  });

  it("the notifications of the last day say where each went", async () => {
    const page = await open("#/notifications");
    const delivered = page.locator("li.note.n-delivered");
    expect(await delivered.count()).toBeGreaterThan(0);
    expect(await delivered.first().textContent()).toMatch(/to slack\[0\]/);
    await shot(page, "notifications");
  });

  it("a silence added from the page (a Slack link's filled form) is listed by lookout silence list, and unsilenced", async () => {
    const page = await open(`#/silence?matchers=${encodeURIComponent(`container=${CRASHED},alertname=container_*`)}&duration=1h`);
    expect(await page.inputValue("#silence-matchers")).toBe(`container=${CRASHED}\nalertname=container_*`);
    expect(await page.inputValue("#silence-duration")).toBe("1h");
    await page.fill("#silence-comment", "deploy of the browser test");
    await page.click('#silence-form button[type="submit"]');
    await page.waitForSelector(".form-status:has-text('added')");
    await page.waitForSelector(`li.silence:has-text("container=${CRASHED}")`);
    await shot(page, "alerts");
    const listed = await runCli(["silence", "list", ...dataArgs]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(`container=${CRASHED}`);
    expect(listed.stdout).toContain("deploy of the browser test");
    await page.waitForSelector(`li.silence:has-text("container=${CRASHED}") button`);
    await page.click(`li.silence:has-text("container=${CRASHED}") button`);
    await until(async () => !(await runCli(["silence", "list", ...dataArgs])).stdout.includes(`container=${CRASHED}`), 10_000, "the silence gone from lookout silence list");
  });
});
