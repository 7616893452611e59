import { describe, expect, it } from "vitest";
import {
  buildSlackMessage,
  buildSlackTestMessage,
  cutMrkdwn,
  cutPlain,
  escapeMrkdwn,
  SLACK_COLORS,
  type SlackBlock,
  type SlackMrkdwn,
  type SlackPayload,
} from "../../../src/notify/slack/message.js";
import { formatThreshold, formatValue } from "../../../src/units.js";
import { validateSlackPayload } from "../../support/fake-slack.js";
import { sampleNotification, T0 } from "../../support/sample-notification.js";

const EVIL = "<!channel> <https://evil.example|click here> & co";

function blocksOf(p: SlackPayload): SlackBlock[] {
  return p.attachments[0]!.blocks;
}

function mrkdwnTexts(p: SlackPayload): string[] {
  const out: string[] = [p.text, p.attachments[0]!.fallback];
  for (const b of blocksOf(p)) {
    if (b.type === "section") {
      if (b.text) out.push(b.text.text);
      for (const f of b.fields ?? []) out.push(f.text);
    } else if (b.type === "context") {
      for (const e of b.elements) out.push(e.text);
    }
  }
  return out;
}

function fieldsOf(p: SlackPayload): SlackMrkdwn[] {
  return blocksOf(p).flatMap((b) => (b.type === "section" ? (b.fields ?? []) : []));
}

function headerOf(p: SlackPayload): string {
  const h = blocksOf(p)[0]!;
  if (h.type !== "header") throw new Error("first block is not a header");
  return h.text.text;
}

/** Lookout's own control sequences (dates) are the only `<…>` allowed in mrkdwn. */
function withoutOwnMarkup(text: string): string {
  return text.replace(/<!date\^\d+\^[^|>]*\|[^>]*>/g, "");
}

/** Every `<`, `>` is gone and every `&` starts a whole entity. */
function expectSafeMrkdwn(text: string): void {
  const rest = withoutOwnMarkup(text);
  expect(rest).not.toMatch(/[<>]/);
  expect(rest.replace(/&(amp|lt|gt);/g, "")).not.toContain("&");
}

describe("titles", () => {
  it("firing: severity, value, threshold and how long the condition held", () => {
    const p = buildSlackMessage(sampleNotification());
    expect(p.text).toBe("[web-1] CRITICAL: CPU 97.2% (threshold 95%) for 3m");
    expect(headerOf(p)).toBe("[web-1] CRITICAL: CPU 97.2% (threshold 95%) for 3m");
    expect(p.attachments[0]!.fallback).toBe(p.text);
  });

  it("escalated names the previous severity", () => {
    const p = buildSlackMessage(sampleNotification({ kind: "escalated" }));
    expect(p.text).toBe("[web-1] CRITICAL (was warning): CPU 97.2% (threshold 95%) for 3m");
  });

  it("reminder says it is still firing", () => {
    const p = buildSlackMessage(sampleNotification({ kind: "reminder", at: T0 + 4 * 3_600_000 }));
    expect(p.text).toBe("[web-1] STILL FIRING: CPU 97.2% (threshold 95%) for 4h");
  });

  it("resolved shows the value now, how long it fired and the peak", () => {
    const p = buildSlackMessage(sampleNotification({ kind: "resolved", at: T0 + 60_000 + 12 * 60_000, alert: { value: 42, peak: 97.24 } }));
    expect(p.text).toBe("[web-1] RESOLVED: CPU 42.0% after 12m (peak 97.2%)");
    const texts = fieldsOf(p).map((f) => f.text);
    expect(texts.some((t) => t.includes("peak 97.2%"))).toBe(true);
    expect(texts.some((t) => t.startsWith("*Lasted*\n12m"))).toBe(true);
    expect(texts).toContain("*Severity*\nResolved (was critical)");
  });

  it("warning firing, per-core load and other units", () => {
    const p = buildSlackMessage(sampleNotification({ alert: { severity: "warning", display: "Load", value: 2.534, threshold: 2, unit: "per_core" } }));
    expect(p.text).toBe("[web-1] WARNING: Load 2.53 per core (threshold 2 per core) for 3m");
    expect(formatValue(12.5, "s")).toBe("12.5 s");
    expect(formatValue(3, "")).toBe("3");
    expect(formatThreshold(95.5, "%")).toBe("95.5%");
  });

  it("leaves out a sub-second duration", () => {
    const p = buildSlackMessage(sampleNotification({ at: T0 }));
    expect(p.text).toBe("[web-1] CRITICAL: CPU 97.2% (threshold 95%)");
  });
});

describe("colours", () => {
  it("critical red, warning orange, resolved green; reminder/escalated use the severity", () => {
    const colour = (o: Parameters<typeof sampleNotification>[0]) => buildSlackMessage(sampleNotification(o)).attachments[0]!.color;
    expect(colour({})).toBe("#d50200");
    expect(colour({ alert: { severity: "warning" } })).toBe("#f2a900");
    expect(colour({ kind: "resolved" })).toBe("#2eb67d");
    expect(colour({ kind: "reminder", alert: { severity: "warning" } })).toBe(SLACK_COLORS.warning);
    expect(colour({ kind: "escalated" })).toBe(SLACK_COLORS.critical);
  });
});

describe("content", () => {
  it("has header, fields (Host, Severity, Value, Since, facts), top processes and context", () => {
    const p = buildSlackMessage(sampleNotification());
    const blocks = blocksOf(p);
    expect(blocks.map((b) => b.type)).toEqual(["header", "section", "section", "context"]);
    const fields = fieldsOf(p).map((f) => f.text);
    expect(fields[0]).toBe("*Host*\nweb-1");
    expect(fields[1]).toBe("*Severity*\nCritical");
    expect(fields[2]).toBe("*Value*\nCPU: 97.2% (threshold 95%)");
    expect(fields[3]).toMatch(/^\*Since\*\n<!date\^1714564800\^\{date_short_pretty\} \{time\}\|2024-05-01 12:00 UTC> \(3m\)$/);
    expect(fields.slice(4)).toEqual(["*Load*\n7.9 / 8 cores", "*Steal*\n0.0%"]);
    const top = blocks[2]!;
    expect(top.type === "section" && top.text?.text).toBe("*Top processes by CPU*\n```\nnode (4242)   — 97.1% CPU\npostgres (17) — 3.0% CPU\n```");
    const ctx = blocks[3]!;
    expect(ctx.type === "context" && ctx.elements[0]!.text).toBe('Lookout · alert host_cpu{hostname="web-1"} · notification n-0001');
    expect(validateSlackPayload(p)).toBeNull();
  });

  it("shows at most 5 processes, and memory with RSS", () => {
    const processes = Array.from({ length: 8 }, (_, i) => ({ pid: i + 1, name: `p${i}`, cpuPercent: 1, memoryPercent: 10 - i, rssBytes: 1536 * 1024 * 1024 }));
    const p = buildSlackMessage(sampleNotification({ details: { facts: [], topProcesses: { by: "memory", processes } } }));
    const top = blocksOf(p).find((b) => b.type === "section" && b.text?.text.startsWith("*Top processes by memory*"));
    expect(top).toBeDefined();
    const text = top!.type === "section" ? top!.text!.text : "";
    expect(text.split("\n").filter((l) => l.includes("% memory"))).toHaveLength(5);
    expect(text).toContain("p0 (1) — 10.0% memory (1.5 GiB)");
  });

  it("renders text and code sections", () => {
    const p = buildSlackMessage(
      sampleNotification({
        details: {
          facts: [],
          sections: [
            { title: "Note", text: "hello" },
            { title: "Logs", text: "a\nb", code: true },
          ],
        },
      }),
    );
    const texts = blocksOf(p).flatMap((b) => (b.type === "section" && b.text ? [b.text.text] : []));
    expect(texts).toContain("*Note*\nhello");
    expect(texts).toContain("*Logs*\n```\na\nb\n```");
  });
});

describe("escaping", () => {
  const n = sampleNotification({
    hostname: EVIL,
    alert: { display: `Disk ${EVIL}`, fingerprint: `host_disk{mount="${EVIL}"}` },
    details: {
      facts: [{ label: EVIL, value: EVIL }],
      topProcesses: { by: "cpu", processes: [{ pid: 1, name: EVIL, cpuPercent: 99, memoryPercent: 1, rssBytes: 1 }] },
      sections: [
        { title: EVIL, text: EVIL },
        { title: "Logs", text: `${EVIL}\n\`\`\`\n<!here> @channel\n\`\`\`\` done`, code: true },
      ],
    },
  });
  const p = buildSlackMessage(n);

  it("no machine text can mention or link in mrkdwn", () => {
    for (const text of mrkdwnTexts(p)) expectSafeMrkdwn(text);
    const json = JSON.stringify({ ...p, attachments: [{ ...p.attachments[0], blocks: blocksOf(p).slice(1) }] });
    expect(json).not.toContain("<!channel>");
    expect(json).not.toContain("<!here>");
    expect(json).not.toContain("<https://evil");
    expect(p.text).toContain("&lt;!channel&gt; &lt;https://evil.example|click here&gt; &amp; co");
  });

  it("escapes the host, process names, facts and section text", () => {
    expect(fieldsOf(p)[0]!.text).toBe("*Host*\n&lt;!channel&gt; &lt;https://evil.example|click here&gt; &amp; co");
    const texts = mrkdwnTexts(p);
    // process names are cut to 40 characters before escaping
    expect(texts.some((t) => t.includes("&lt;!channel&gt; &lt;https://evil.example|click … (1) — 99.0% CPU"))).toBe(true);
    expect(texts.some((t) => t === `*${escapeMrkdwn(EVIL)}*\n${escapeMrkdwn(EVIL)}`)).toBe(true);
  });

  it("a bare @channel cannot mention either", () => {
    expect(escapeMrkdwn("@channel @here @everyone")).not.toMatch(/@(channel|here|everyone)/);
  });

  it("text cannot close a code block", () => {
    const code = mrkdwnTexts(p).find((t) => t.startsWith("*Logs*"))!;
    expect(code.match(/```/g)).toHaveLength(2);
    expect(code.startsWith("*Logs*\n```\n")).toBe(true);
    expect(code.endsWith("\n```")).toBe(true);
  });

  it("mrkdwn text objects are verbatim (no auto-linking)", () => {
    for (const b of blocksOf(p)) {
      if (b.type === "section") for (const t of [b.text, ...(b.fields ?? [])]) if (t) expect(t.verbatim).toBe(true);
    }
  });

  it("the header is plain_text, which Slack does not parse", () => {
    const h = blocksOf(p)[0]!;
    expect(h.type === "header" && h.text.type).toBe("plain_text");
  });
});

describe("limits", () => {
  const n = sampleNotification({
    hostname: "h".repeat(300),
    alert: { display: "D".repeat(400) },
    details: {
      facts: Array.from({ length: 30 }, (_, i) => ({ label: `fact ${i}`, value: "&".repeat(2500) })),
      topProcesses: {
        by: "cpu",
        processes: [{ pid: 1, name: "<".repeat(5000), cpuPercent: 1, memoryPercent: 1, rssBytes: 1 }],
      },
      sections: [
        { title: "big", text: "x&<>".repeat(2500) },
        { title: "big code", text: "<y>&".repeat(2500), code: true },
        { title: "t".repeat(5000), text: "z" },
      ],
    },
  });
  const p = buildSlackMessage(n);

  it("huge input still makes a payload Slack takes", () => {
    expect(validateSlackPayload(p)).toBeNull();
    expect(headerOf(p).length).toBeLessThanOrEqual(150);
    expect(headerOf(p).endsWith("…")).toBe(true);
    expect(p.text.length).toBeLessThanOrEqual(3000);
    for (const b of blocksOf(p)) {
      if (b.type === "section") {
        expect((b.fields ?? []).length).toBeLessThanOrEqual(10);
        for (const f of b.fields ?? []) expect(f.text.length).toBeLessThanOrEqual(2000);
        if (b.text) expect(b.text.text.length).toBeLessThanOrEqual(3000);
      }
    }
    expect(fieldsOf(p)).toHaveLength(34);
  });

  it("never cuts inside an entity, and cuts end with … (a code block: its middle, so its end stays)", () => {
    for (const text of mrkdwnTexts(p)) expectSafeMrkdwn(text);
    const fact = fieldsOf(p)[4]!.text;
    expect(fact.length).toBeLessThanOrEqual(2000);
    expect(fact.endsWith("&amp;…")).toBe(true);
    const code = mrkdwnTexts(p).find((t) => t.startsWith("*big code*"))!;
    expect(code).toMatch(/^\*big code\*\n```\n&lt;y&gt;&amp;.* … .*&lt;y&gt;&amp;\n```$/);
    expect(code.length).toBeLessThanOrEqual(3000);
  });

  it("keeps to 50 blocks", () => {
    const many = buildSlackMessage(sampleNotification({ details: { facts: [], sections: Array.from({ length: 200 }, (_, i) => ({ title: `s${i}`, text: "x" })) } }));
    expect(blocksOf(many).length).toBe(50);
    expect(blocksOf(many).at(-1)!.type).toBe("context");
    expect(validateSlackPayload(many)).toBeNull();
    const note = blocksOf(many).at(-2)!;
    expect(note.type === "section" && note.text?.text).toMatch(/more blocks left out/);
  });

  it("cutPlain does not split a surrogate pair; cutMrkdwn does not split entities or <…>", () => {
    const cut = cutPlain("😀".repeat(100), 150);
    expect(cut.length).toBeLessThanOrEqual(150);
    expect(cut).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
    expect(cutMrkdwn("ab&amp;cd", 6)).toBe("ab…");
    expect(cutMrkdwn("ab&amp;cd", 8)).toBe("ab&amp;…");
    expect(cutMrkdwn("a <!date^1^{time}|x> b", 10)).toBe("a …");
    expect(cutMrkdwn("short", 10)).toBe("short");
  });
});

describe("test message", () => {
  it("is valid, names the host (escaped) and is blue", () => {
    const p = buildSlackTestMessage("web-1 & <!here>", T0);
    expect(validateSlackPayload(p)).toBeNull();
    expect(p.text).toBe("[web-1 &amp; &lt;!here&gt;] Lookout test message");
    expect(p.attachments[0]!.color).toBe(SLACK_COLORS.test);
    for (const text of mrkdwnTexts(p)) expectSafeMrkdwn(text);
  });
});
