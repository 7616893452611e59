/**
 * `http.public_url` puts links to the dashboard in every message: Slack's
 * buttons, a webhook's `generatorURL`, `externalURL` and `silence_url`.
 * Without it, every message is byte for byte what it was before
 * (test/fixtures/messages/without-links.json, written by that code).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { LoadedConfig } from "../../src/config/load.js";
import { configSchema } from "../../src/config/schema.js";
import { globToRegExp } from "../../src/glob.js";
import type { Notification } from "../../src/model/notification.js";
import { DashboardLinks, dashboardLinks, silenceGlob } from "../../src/notify/links.js";
import { buildReceivers } from "../../src/notify/registry.js";
import { buildSlackGroupMessage, buildSlackMessage, buildSlackTestMessage, type SlackActionsBlock, type SlackPayload } from "../../src/notify/slack/message.js";
import { alertmanagerPayload } from "../../src/notify/webhook/alertmanager.js";
import { webhookTestNotification } from "../../src/notify/webhook/webhook.js";
import { validateSlackPayload } from "../support/fake-slack.js";
import { standInReceivers } from "../support/receivers.js";
import { sampleNotification, T0 } from "../support/sample-notification.js";
import { CRASH, DISK, GROUP, HOSTILE, HOSTILE_CRASH, RESOLVED, SINGLES, SUMMARY, TEST_AT } from "./links-cases.js";

const GOLDEN = JSON.parse(readFileSync(new URL("../fixtures/messages/without-links.json", import.meta.url), "utf8")) as Record<string, string>;
const PUBLIC = "https://lookout.example.com/ops";
const BASE = "https://lookout.example.com/ops/";
const links = new DashboardLinks(PUBLIC);
const MIN = 60_000;

function loaded(extra: Record<string, unknown>): LoadedConfig {
  return { config: configSchema.parse(extra), path: null, warnings: [], dataDir: "/nonexistent", hostname: "web-1", hostRoot: "/nonexistent" };
}

function actionsOf(p: SlackPayload): SlackActionsBlock[] {
  return p.attachments[0]!.blocks.filter((b): b is SlackActionsBlock => b.type === "actions");
}

function buttons(p: SlackPayload): Array<[string, string]> {
  return actionsOf(p).flatMap((b) => b.elements.map((e) => [e.text.text, e.url] as [string, string]));
}

/** How the dashboard reads a link (src/http/page/route.js `current` and `matchersOf`): the view's segments and its parameters. */
function asThePageReadsIt(url: string): { search: URLSearchParams; segments: string[]; params: URLSearchParams } {
  const u = new URL(url);
  const raw = u.hash.replace(/^#/, "");
  const q = raw.indexOf("?");
  const path = q < 0 ? raw : raw.slice(0, q);
  return {
    search: u.searchParams,
    segments: path.split("/").filter(Boolean).map(decodeURIComponent),
    params: new URLSearchParams(q < 0 ? "" : raw.slice(q + 1)),
  };
}

describe("without http.public_url", () => {
  it("every message is byte for byte what it was before links", () => {
    for (const [k, n] of Object.entries(SINGLES)) {
      expect(JSON.stringify(buildSlackMessage(n)), `slack ${k}`).toBe(GOLDEN[`slack ${k}`]);
      expect(JSON.stringify(alertmanagerPayload([n], { receiver: "pager" })), `webhook ${k}`).toBe(GOLDEN[`webhook ${k}`]);
    }
    expect(JSON.stringify(buildSlackGroupMessage(GROUP, { note: "1 notification could not be delivered" }))).toBe(GOLDEN["slack group"]);
    expect(JSON.stringify(alertmanagerPayload(GROUP, { receiver: "pager" }))).toBe(GOLDEN["webhook group"]);
    expect(JSON.stringify(buildSlackTestMessage("web-1", TEST_AT))).toBe(GOLDEN["slack test"]);
    expect(JSON.stringify(alertmanagerPayload([webhookTestNotification("web-1", TEST_AT, "pager")], { receiver: "pager" }))).toBe(GOLDEN["webhook test"]);
  });

  it("makes no links, nor with the server disabled", () => {
    expect(dashboardLinks(loaded({}).config.http)).toBeUndefined();
    expect(dashboardLinks(loaded({ http: { enabled: false, public_url: PUBLIC } }).config.http)).toBeUndefined();
    expect(dashboardLinks(loaded({ http: { public_url: PUBLIC } }).config.http)?.base).toBe(BASE);
  });
});

describe("the dashboard's links", () => {
  it("end the public URL's path with / and drop its query and fragment", () => {
    expect(new DashboardLinks("https://lookout.example.com").base).toBe("https://lookout.example.com/");
    expect(new DashboardLinks("http://10.0.0.5:9817/lookout/?x=1#y").base).toBe("http://10.0.0.5:9817/lookout/");
  });

  it("a container's alert opens its view at the alert's time, another the overview around it", () => {
    expect(links.alert(CRASH)).toBe(`${BASE}#/containers/shop-web-1?at=${T0 + 30_000}`);
    expect(links.alert(sampleNotification())).toBe(`${BASE}?from=${T0 + MIN - 30 * MIN}&to=${T0 + MIN + 30 * MIN}#/`);
    expect(links.summary(SUMMARY)).toBe(`${BASE}?from=${T0}&to=${T0 + 24 * 3600_000}#/`);
  });

  it("a silence names the alert's labels but severity, one matchers parameter each, for an hour", () => {
    const { segments, params } = asThePageReadsIt(links.silence(DISK));
    expect(segments).toEqual(["silence"]);
    expect(params.getAll("matchers")).toEqual(["alertname=host_disk", "hostname=web-1", "mount=/var lib"]);
    expect(params.get("duration")).toBe("1h");
  });

  it("a hostile label value stays inside its parameter: encoded, read back whole, its silence glob matching it", () => {
    for (const url of [links.alert(HOSTILE_CRASH), links.silence(HOSTILE_CRASH)]) {
      // Only URL-safe ASCII: nothing ends the JSON string, the mrkdwn, the hash or the URL.
      expect(url).toMatch(/^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]+$/);
      expect(url).not.toMatch(/["\s<>|\\^`{}]/);
      expect(url.split("#")).toHaveLength(2);
    }
    const open = asThePageReadsIt(links.alert(HOSTILE_CRASH));
    expect(open.segments).toEqual(["containers", HOSTILE]);
    expect([...open.params.keys()]).toEqual(["at"]);

    const silence = asThePageReadsIt(links.silence(HOSTILE_CRASH));
    expect([...new Set(silence.params.keys())]).toEqual(["matchers", "duration"]);
    const matchers = silence.params.getAll("matchers");
    expect(matchers).toHaveLength(4);
    // The page's form: one matcher per line, cut at "," before "name=", trimmed (src/http/page/app.js).
    const formLines = matchers
      .join("\n")
      .split(/\n|,(?=[^=,]+=)/)
      .map((m) => m.trim());
    expect(formLines).toEqual(matchers);
    const byName = Object.fromEntries(matchers.map((m) => [m.slice(0, m.indexOf("=")), m.slice(m.indexOf("=") + 1)]));
    expect(globToRegExp(byName.container!).test(HOSTILE)).toBe(true);
    expect(globToRegExp(byName.compose_project!).test(" shop, prod ")).toBe(true);
    expect(byName.container).toBe('we"b&x=1#/frag ?a=b?next?c=d \u00e9\u{1F680}/..%2F');
    expect(silenceGlob(" a\tb, ")).toBe("?a?b??");
  });

  it("half an emoji (a lone surrogate) becomes U+FFFD rather than failing the message", () => {
    const half = { ...CRASH, alert: { ...CRASH.alert, labels: { ...CRASH.alert.labels, container: "web\uD83D-1" } } };
    expect(asThePageReadsIt(links.alert(half)).segments).toEqual(["containers", "web\uFFFD-1"]);
    expect(buttons(buildSlackMessage(half, { links }))).toHaveLength(2);
  });
});

describe("Slack's buttons", () => {
  it("a firing alert: Open in Lookout and Silence 1 h, in one actions block before the context", () => {
    const p = buildSlackMessage(CRASH, { links });
    expect(buttons(p)).toEqual([
      ["Open in Lookout", links.alert(CRASH)],
      ["Silence 1 h", links.silence(CRASH)],
    ]);
    const blocks = p.attachments[0]!.blocks;
    expect(blocks.at(-2)!.type).toBe("actions");
    expect(blocks.at(-1)!.type).toBe("context");
    expect(actionsOf(p)[0]!.elements.map((e) => e.action_id)).toEqual(["open", "silence"]);
    expect(validateSlackPayload(JSON.parse(JSON.stringify(p)))).toBeNull();
  });

  it("a resolved alert is opened, not silenced; the daily summary opens the day's overview; the test message the last hour's", () => {
    expect(buttons(buildSlackMessage(RESOLVED, { links }))).toEqual([["Open in Lookout", links.alert(RESOLVED)]]);
    expect(buttons(buildSlackMessage(SUMMARY, { links }))).toEqual([["Open in Lookout", links.summary(SUMMARY)]]);
    expect(buttons(buildSlackTestMessage("web-1", TEST_AT, links))).toEqual([["Open in Lookout", links.overview(TEST_AT - 3600_000, TEST_AT)]]);
  });

  it("the hostile alert's buttons carry its encoded URLs; the JSON stays valid and Slack would take it", () => {
    const p = buildSlackMessage(HOSTILE_CRASH, { links });
    const raw = JSON.stringify(p);
    const back = JSON.parse(raw) as SlackPayload;
    expect(buttons(back)).toEqual([
      ["Open in Lookout", links.alert(HOSTILE_CRASH)],
      ["Silence 1 h", links.silence(HOSTILE_CRASH)],
    ]);
    expect(validateSlackPayload(back)).toBeNull();
  });

  it("a message of many blocks keeps its buttons within Slack's 50", () => {
    const sections = Array.from({ length: 70 }, (_, i) => ({ title: `part ${i}`, text: "x" }));
    const p = buildSlackMessage({ ...CRASH, details: { ...CRASH.details, sections } }, { links });
    const blocks = p.attachments[0]!.blocks;
    expect(blocks).toHaveLength(50);
    expect(blocks.at(-2)!.type).toBe("actions");
    expect(validateSlackPayload(JSON.parse(JSON.stringify(p)))).toBeNull();
  });

  it("a URL longer than Slack takes (a label of thousands of characters) is left out, not the message", () => {
    const long = sampleNotification({ alert: { labels: { alertname: "host_disk", severity: "warning", hostname: "web-1", mount: `/${"x".repeat(4000)}` } } });
    expect(buttons(buildSlackMessage(long, { links })).map(([t]) => t)).toEqual(["Open in Lookout"]);
  });

  it("a group: one Open in Lookout to the overview over its times, each alert shown an Open of its own, within 50 blocks", () => {
    const p = buildSlackGroupMessage(GROUP, { links, note: "1 notification could not be delivered" });
    expect(buttons(p)).toEqual([["Open in Lookout", links.around(GROUP)]]);
    const sections = p.attachments[0]!.blocks.filter((b) => b.type === "section" && b.accessory);
    expect(sections).toHaveLength(GROUP.length);
    expect(sections.map((s) => (s.type === "section" ? s.accessory!.url : ""))).toEqual(expect.arrayContaining(GROUP.map((n: Notification) => links.alert(n))));
    expect(validateSlackPayload(JSON.parse(JSON.stringify(p)))).toBeNull();

    const many = Array.from({ length: 80 }, (_, i) => ({ ...CRASH, id: `n-${i}`, alert: { ...CRASH.alert, labels: { ...CRASH.alert.labels, container: `c-${i}` } } }));
    const big = buildSlackGroupMessage(many, { links, note: "x" });
    expect(big.attachments[0]!.blocks.length).toBeLessThanOrEqual(50);
    expect(actionsOf(big)).toHaveLength(1);
    expect(validateSlackPayload(JSON.parse(JSON.stringify(big)))).toBeNull();
  });
});

describe("a webhook's body", () => {
  it("generatorURL is the alert's view, externalURL the dashboard, silence_url the form while it fires", () => {
    const body = alertmanagerPayload([CRASH, RESOLVED], { receiver: "pager", links });
    expect(body.externalURL).toBe(BASE);
    expect(body.alerts.map((a) => a.generatorURL)).toEqual([links.alert(CRASH), links.alert(RESOLVED)]);
    expect(body.alerts[0]!.annotations.silence_url).toBe(links.silence(CRASH));
    expect(body.alerts[1]!.annotations).not.toHaveProperty("silence_url");
    const summary = alertmanagerPayload([SUMMARY], { receiver: "pager", links });
    expect(summary.alerts[0]!.generatorURL).toBe(links.summary(SUMMARY));
    expect(summary.alerts[0]!.annotations).not.toHaveProperty("silence_url");
  });

  it("a hostile label's links survive the JSON", () => {
    const raw = JSON.stringify(alertmanagerPayload([HOSTILE_CRASH], { receiver: "pager", links }));
    const back = JSON.parse(raw) as ReturnType<typeof alertmanagerPayload>;
    expect(back.alerts[0]!.generatorURL).toBe(links.alert(HOSTILE_CRASH));
    expect(asThePageReadsIt(back.alerts[0]!.generatorURL).segments).toEqual(["containers", HOSTILE]);
  });
});

describe("receivers built from the configuration", () => {
  const { slack, hook } = standInReceivers();

  function receivers(http: Record<string, unknown> | undefined) {
    const l = loaded({ ...(http ? { http } : {}), notify: { slack: [{ name: "team", webhook_url: slack.url }], webhooks: [{ name: "pager", url: hook.url }] } });
    const { notifiers } = buildReceivers(l);
    return { team: notifiers.find((n) => n.name === "team")!, pager: notifiers.find((n) => n.name === "pager")! };
  }

  it("send the same bytes as before without public_url", async () => {
    const { team, pager } = receivers(undefined);
    expect((await team.send(CRASH)).ok).toBe(true);
    expect((await pager.send(CRASH)).ok).toBe(true);
    expect((await slack.waitFor(1))[0]!.raw).toBe(GOLDEN["slack crash"]);
    expect((await hook.waitFor(1))[0]!.raw).toBe(GOLDEN["webhook crash"]);
  });

  it("send the links with public_url, the test messages too", async () => {
    const { team, pager } = receivers({ public_url: PUBLIC });
    expect((await team.send(CRASH)).ok).toBe(true);
    expect((await pager.send(CRASH)).ok).toBe(true);
    expect((await team.sendTest("web-1")).ok).toBe(true);
    expect((await pager.sendTest("web-1")).ok).toBe(true);
    const [toSlack, testToSlack] = await slack.waitFor(2);
    expect(buttons(toSlack!.body as SlackPayload)).toEqual([
      ["Open in Lookout", links.alert(CRASH)],
      ["Silence 1 h", links.silence(CRASH)],
    ]);
    expect(buttons(testToSlack!.body as SlackPayload).map(([t, u]) => [t, u.startsWith(`${BASE}?from=`)])).toEqual([["Open in Lookout", true]]);
    const [toHook, testToHook] = (await hook.waitFor(2)).map((r) => r.body as ReturnType<typeof alertmanagerPayload>);
    expect(toHook!.alerts[0]!.generatorURL).toBe(links.alert(CRASH));
    expect(testToHook!.externalURL).toBe(BASE);
    expect(testToHook!.alerts[0]!.generatorURL.startsWith(`${BASE}?from=`)).toBe(true);
    expect(testToHook!.alerts[0]!.annotations).not.toHaveProperty("silence_url");
  });
});
