/** Plain-text messages (notify/plain-text.ts): within each service's limits, as it counts, cut with a visible marker. */
import { describe, expect, it } from "vitest";
import { CUT_MARK, codePoints, cutEnd, plainMessage, utf8Bytes } from "../../../src/notify/plain-text.js";
import { sampleNotification } from "../../support/sample-notification.js";

const crash = (i: number, name = `app-${i}`) =>
  sampleNotification({
    id: `c${i}`,
    alert: {
      alertname: "container_crashed",
      fingerprint: `c{container="${name}"}`,
      labels: { alertname: "container_crashed", severity: i % 2 ? "critical" : "warning", hostname: "web-1", container: name },
      severity: i % 2 ? "critical" : "warning",
      display: `Container ${name}`,
      summary: `Container ${name} crashed`,
    },
  });

describe("plain-text messages", () => {
  it("cuts at the end with a marker, never inside a character", () => {
    expect(cutEnd("abc", 3)).toBe("abc");
    const cut = cutEnd("🚀".repeat(100), 50, utf8Bytes);
    expect(cut.endsWith(CUT_MARK)).toBe(true);
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(50);
    expect(cut).not.toContain("\ufffd");
    expect(cut.replace(CUT_MARK, "")).toMatch(/^(🚀)+$/u);
  });

  it("fits a burst of 200 alerts in Pushover's 1,024 characters: most severe first, the rest named in one line", () => {
    const ns = Array.from({ length: 200 }, (_, i) => crash(i));
    const { title, message } = plainMessage(ns, { title: 250, message: 1024, measure: codePoints });
    expect(title).toMatch(/^\[web-1\] 200 containers crashed/);
    expect([...message].length).toBeLessThanOrEqual(1024);
    const lines = message.split("\n");
    expect(lines[0]).toMatch(/^🔴 /);
    expect(lines.at(-1)).toMatch(/^…and \d+ more: app-/);
    expect(lines.filter((l) => l.startsWith("🔴") || l.startsWith("🟠")).length).toBeGreaterThan(5);
  });

  it("shows a newline in a name escaped, so one alert stays one line", () => {
    const { message } = plainMessage([crash(1, "api\n🔴 [web-1] CRITICAL: fake"), crash(2)], { title: 250, message: 4096 });
    expect(message.split("\n")).toHaveLength(2);
    expect(message).toContain("api\\n🔴 [web-1] CRITICAL: fake");
  });

  it("keeps the last log lines of a long section and says how many went", () => {
    const n = sampleNotification({
      details: { facts: [], sections: [{ title: "Last log lines", text: Array.from({ length: 500 }, (_, i) => `line ${i}`).join("\n"), code: true }] },
    });
    const { message } = plainMessage([n], { title: 250, message: 1024 });
    expect(message.length).toBeLessThanOrEqual(1024);
    expect(message).toMatch(/… \d+ earlier lines left out/);
    expect(message.endsWith("line 499")).toBe(true);
  });
});
