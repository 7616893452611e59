import { describe, expect, it } from "vitest";
import type { AlertRecord } from "../../../src/alert/state.js";
import type { Notification } from "../../../src/model/notification.js";
import { buildSummary, emptyCounts } from "../../../src/notify/daily-summary.js";
import { buildSlackGroupMessage, buildSlackMessage, buildSlackTestMessage, type SlackBlock, type SlackPayload, slackBlock, slackLine } from "../../../src/notify/slack/message.js";
import { validateSlackPayload } from "../../support/fake-slack.js";
import { sampleNotification, T0 } from "../../support/sample-notification.js";

/**
 * Machine text as it was seen in the wild: a mount point that forges a line,
 * an OSC title + screen clear, a CR, a C1 CSI, a bidi override. Each goes
 * through every place of a Slack message that shows machine text.
 */
const FORGED = "\nINJECTED CRITICAL: fake";
const ANSI = "\x1b]0;PWNED\x07\x1b[2J";
const CR = "a\rb";
const C1 = "\u009b31m";
const BIDI = "\u202eevil";

const HOST = `web-1${FORGED}${ANSI}`;
const CONTAINER = `api${ANSI}${FORGED}`;
const MOUNT = `/mnt/x${FORGED}`;
/** A container's last log lines: CRLF line ends, a tab, ANSI and C1 inside. */
const LOG = `starting\r\n${ANSI}boom\r\n\tat main ${C1}\r\n${CR} done`;

// eslint-disable-next-line no-control-regex
const RAW_CONTROL_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
// eslint-disable-next-line no-control-regex
const RAW_CONTROL_BUT_NEWLINE_TAB = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const FENCE = /```\n([\s\S]*?)\n```/g;

/** A container crash whose every machine text is hostile (its id too, though Lookout makes ids). */
function hostileCrash(id = `n-1${FORGED}`, container = CONTAINER): Notification {
  return sampleNotification({
    id,
    hostname: HOST,
    alert: {
      alertname: "container_crashed",
      fingerprint: `container_crashed{container="${container}",hostname="${HOST}"}`,
      labels: { alertname: "container_crashed", severity: "critical", hostname: HOST, container, image: `shop/api${C1}` },
      display: `Container ${container}`,
      summary: `Container ${container} crashed: exit code 1`,
      unit: "bool",
      value: 1,
    },
    details: {
      facts: [
        { label: `Image${C1}`, value: `shop/api:1.4${FORGED}` },
        { label: "Mount", value: MOUNT },
        { label: `Label ${BIDI}`, value: `${CR} ${ANSI}\tx` },
      ],
      topProcesses: {
        by: "cpu",
        processes: [
          { pid: 4242, name: `node${FORGED}`, cpuPercent: 97.1, memoryPercent: 12.5, rssBytes: 512 * 1024 * 1024 },
          { pid: 17, name: ANSI, cpuPercent: 3, memoryPercent: 8, rssBytes: 256 * 1024 * 1024 },
        ],
      },
      sections: [
        { title: `Last log lines of ${container}`, text: LOG, code: true },
        { title: `Health of ${MOUNT}`, text: `check failed${BIDI}\n${CR}` },
      ],
    },
  });
}

/** A measured alert (it has a Value field) on a hostile mount. */
function hostileDisk(): Notification {
  return sampleNotification({
    id: "n-disk",
    hostname: HOST,
    alert: {
      alertname: "host_disk",
      fingerprint: `host_disk{hostname="${HOST}",mount="${MOUNT}"}`,
      labels: { alertname: "host_disk", severity: "warning", hostname: HOST, mount: MOUNT },
      severity: "warning",
      display: `Disk ${MOUNT}`,
      value: 91.3,
      threshold: 90,
    },
    details: { facts: [{ label: "Free", value: `9.8 GiB${ANSI}` }], topProcesses: undefined },
  });
}

/** Every string in the payload's JSON, with where it is. */
function strings(value: unknown, path = "$"): Array<{ path: string; text: string }> {
  if (typeof value === "string") return [{ path, text: value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${path}[${i}]`));
  if (value && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => strings(v, `${path}.${k}`));
  return [];
}

function blocksOf(p: SlackPayload): SlackBlock[] {
  return p.attachments[0]!.blocks;
}

function headerOf(p: SlackPayload): string {
  const h = blocksOf(p)[0]!;
  if (h.type !== "header") throw new Error("first block is not a header");
  return h.text.text;
}

/** The texts Slack shows on one line: the title (top-level, fallback, header) and the context. */
function singleLineTexts(p: SlackPayload): string[] {
  const out = [p.text, p.attachments[0]!.fallback, headerOf(p)];
  for (const b of blocksOf(p)) if (b.type === "context") out.push(...b.elements.map((e) => e.text));
  return out;
}

function codeBlocks(p: SlackPayload): string[] {
  return blocksOf(p).flatMap((b) => (b.type === "section" && b.text ? [...b.text.text.matchAll(FENCE)].map((m) => m[1]!) : []));
}

/** What every payload must hold, whatever the machine sent. */
function expectNoRawControl(p: SlackPayload): void {
  // The serialized payload parses back to itself: the check walks what Slack gets.
  const sent = JSON.parse(JSON.stringify(p)) as unknown;
  for (const { path, text } of strings(sent)) {
    // Outside code blocks: only the newlines Lookout writes itself. Inside: a log's tabs too.
    const outside = text.replace(FENCE, "```\n\n```");
    expect(RAW_CONTROL_BUT_NEWLINE.test(outside), `${path}: ${JSON.stringify(outside)}`).toBe(false);
    for (const m of text.matchAll(FENCE)) expect(RAW_CONTROL_BUT_NEWLINE_TAB.test(m[1]!), `${path} (code): ${JSON.stringify(m[1])}`).toBe(false);
    // No forged line: the injected text never starts a line anywhere.
    for (const line of text.split("\n")) expect(line, path).not.toMatch(/^\s*INJECTED/);
  }
  expect(validateSlackPayload(p)).toBeNull();
}

describe("slackLine and slackBlock", () => {
  it("slackLine: newline and controls shown escaped, mentions and links still neutralised", () => {
    expect(slackLine(`/mnt/x${FORGED}`)).toBe("/mnt/x\\nINJECTED CRITICAL: fake");
    expect(slackLine(ANSI)).toBe("\\x1b]0;PWNED\\x07\\x1b[2J");
    expect(slackLine(`<!channel>\n${C1}`)).toBe("&lt;!channel&gt;\\n\\u009b31m");
  });

  it("slackBlock: the text's own newlines and tabs stay, CRLF becomes LF, other controls shown escaped", () => {
    expect(slackBlock(LOG)).toBe("starting\n\\x1b]0;PWNED\\x07\\x1b[2Jboom\n\tat main \\u009b31m\na\\rb done");
    expect(slackBlock("<https://x|y>")).toBe("&lt;https://x|y&gt;");
  });
});

describe("hostile machine text in a Slack message", () => {
  it("single message: no raw control character anywhere, no forged line, still valid for Slack", () => {
    expectNoRawControl(buildSlackMessage(hostileCrash()));
    expectNoRawControl(buildSlackMessage(hostileDisk()));
    expectNoRawControl(buildSlackMessage({ ...hostileCrash(), kind: "resolved", at: T0 + 3_600_000 }));
  });

  it("title, fallback, header and context stay one line, ESC shown as the 4 characters \\x1b", () => {
    for (const p of [buildSlackMessage(hostileCrash()), buildSlackMessage(hostileDisk())]) {
      for (const t of singleLineTexts(p)) expect(t).not.toContain("\n");
      expect(p.text).toContain("web-1\\nINJECTED CRITICAL: fake\\x1b]0;PWNED\\x07\\x1b[2J");
      expect(headerOf(p)).toContain("web-1\\nINJECTED CRITICAL: fake\\x1b]0;PWNED");
    }
    expect(buildSlackMessage(hostileDisk()).text).toContain("Disk /mnt/x\\nINJECTED CRITICAL: fake");
  });

  it("a field is its label's line and one value line: machine newlines in labels and values are shown, not obeyed", () => {
    for (const p of [buildSlackMessage(hostileCrash()), buildSlackMessage(hostileDisk())]) {
      const fields = blocksOf(p).flatMap((b) => (b.type === "section" ? (b.fields ?? []) : []));
      expect(fields.length).toBeGreaterThan(0);
      for (const f of fields) {
        const [label, ...value] = f.text.split("\n");
        expect(label, f.text).toMatch(/^\*[^*]*\*$/);
        expect(value.length, f.text).toBe(1);
      }
    }
    const texts = blocksOf(buildSlackMessage(hostileCrash())).flatMap((b) => (b.type === "section" ? (b.fields ?? []).map((f) => f.text) : []));
    expect(texts).toContain("*Host*\nweb-1\\nINJECTED CRITICAL: fake\\x1b]0;PWNED\\x07\\x1b[2J");
    expect(texts).toContain("*Mount*\n/mnt/x\\nINJECTED CRITICAL: fake");
    expect(texts).toContain("*Image\\u009b31m*\nshop/api:1.4\\nINJECTED CRITICAL: fake");
    expect(texts).toContain("*Label \\u202eevil*\na\\rb \\x1b]0;PWNED\\x07\\x1b[2J\\tx");
    const disk = blocksOf(buildSlackMessage(hostileDisk())).flatMap((b) => (b.type === "section" ? (b.fields ?? []).map((f) => f.text) : []));
    expect(disk).toContain("*Value*\nDisk /mnt/x\\nINJECTED CRITICAL: fake: 91.3% (threshold 90%)");
  });

  it("top processes: one row per process, whatever their names hold", () => {
    const [top] = codeBlocks(buildSlackMessage(hostileCrash())).filter((c) => c.includes("(4242)"));
    const rows = top!.split("\n");
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/^node\\nINJECTED CRITICAL: fake \(4242\) +— 97\.1% CPU$/);
    expect(rows[1]).toMatch(/^\\x1b\]0;PWNED\\x07\\x1b\[2J \(17\) +— 3\.0% CPU$/);
  });

  it("log lines keep their own newlines (CRLF as LF) and tab in the code block; ESC, CR and C1 there are shown escaped", () => {
    const p = buildSlackMessage(hostileCrash());
    const log = codeBlocks(p).find((c) => c.startsWith("starting"));
    expect(log).toBe("starting\n\\x1b]0;PWNED\\x07\\x1b[2Jboom\n\tat main \\u009b31m\na\\rb done");
    // Its title is one line, with the container name shown escaped.
    const section = blocksOf(p).find((b) => b.type === "section" && b.text?.text.includes("starting"));
    expect(section?.type === "section" && section.text!.text.split("\n")[0]).toBe("*Last log lines of api\\x1b]0;PWNED\\x07\\x1b[2J\\nINJECTED CRITICAL: fake*");
  });

  it("a non-code section: its title is one line, its body keeps its own lines with controls shown escaped", () => {
    const p = buildSlackMessage(hostileCrash());
    const section = blocksOf(p).find((b) => b.type === "section" && b.text?.text.startsWith("*Health of"));
    expect(section?.type === "section" && section.text!.text).toBe("*Health of /mnt/x\\nINJECTED CRITICAL: fake*\ncheck failed\\u202eevil\na\\rb");
  });

  it("group message: one title line plus one line per fact per alert, and the '…and N more' line is one line", () => {
    const ns = Array.from({ length: 52 }, (_, i) => hostileCrash(`n-${i}${FORGED}`, `c${i}${FORGED}${ANSI}`));
    const p = buildSlackGroupMessage(ns);
    expectNoRawControl(p);
    for (const t of singleLineTexts(p)) expect(t).not.toContain("\n");
    expect(headerOf(p)).toBe("[web-1\\nINJECTED CRITICAL: fake\\x1b]0;PWNED\\x07\\x1b[2J] 52 containers crashed");
    const sections = blocksOf(p).flatMap((b) => (b.type === "section" && b.text ? [b.text.text] : []));
    const alerts = sections.filter((t) => t.startsWith("🔴"));
    expect(alerts.length).toBeGreaterThan(0);
    for (const t of alerts) expect(t.split("\n"), t).toHaveLength(4); // title + the first 3 facts
    expect(alerts[0]).toContain("\nImage\\u009b31m: shop/api:1.4\\nINJECTED CRITICAL: fake\n");
    const more = sections.find((t) => t.startsWith("…and"));
    expect(more).toBeDefined();
    expect(more).not.toContain("\n");
    expect(more).toContain("c47\\nINJECTED CRITICAL: fake\\x1b]0;PWNED\\x07\\x1b[2J, c48\\n");
  });

  it("Slack's size limits hold after escaping (escaping lengthens text), and a cut code block still closes", () => {
    const long = hostileCrash();
    long.hostname = "\x1b".repeat(400);
    long.details.facts = [{ label: "Mount", value: "\n".repeat(1500) }];
    long.details.sections = [{ title: "\x07".repeat(300), text: `${"\x1b[31m".repeat(2000)}\n`, code: true }];
    const p = buildSlackMessage(long);
    expectNoRawControl(p);
    expect(headerOf(p).length).toBeLessThanOrEqual(150);
    expect(headerOf(p)).toMatch(/^\[(\\x1b)+\\?x?1?…$/);
    const code = blocksOf(p).find((b) => b.type === "section" && b.text?.text.includes("\\x1b[31m"));
    expect(code?.type === "section" && code.text!.text.length).toBeLessThanOrEqual(3000);
    expect(code?.type === "section" && code.text!.text).toMatch(/ … .*(\\x1b\[31m)+\n\n```$/); // cut in its middle: its end stays
  });

  it("the test message: a hostile host name stays on one line", () => {
    const p = buildSlackTestMessage(HOST, T0);
    expectNoRawControl(p);
    for (const t of singleLineTexts(p)) expect(t).not.toContain("\n");
    const body = blocksOf(p).find((b) => b.type === "section");
    expect(body?.type === "section" && body.text!.text).toContain("*web-1\\nINJECTED CRITICAL: fake\\x1b]0;PWNED\\x07\\x1b[2J*");
  });
});

describe("hostile machine text in the daily summary", () => {
  it("keeps each firing alert on one line of the 'Firing now' section", () => {
    const firing = {
      alertname: "host_disk",
      state: "firing",
      severity: "warning",
      display: `Disk ${MOUNT}`,
      value: 96.2,
      unit: "%",
      activeSince: T0,
      firingSince: T0,
    } as unknown as AlertRecord;
    const n = buildSummary({ id: "s1", hostname: "web-1", now: T0 + 3600_000, counts: emptyCounts(T0), alerts: [firing], failed: 0, samples: [] });
    const p = buildSlackMessage(n);
    expectNoRawControl(p);
    const all = strings(p)
      .map((s) => s.text)
      .join("\n");
    expect(all).not.toMatch(/(^|\n)INJECTED/);
    expect(all).toContain("/mnt/x\\nINJECTED");
  });
});
