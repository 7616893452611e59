/**
 * The README's pictures of Slack messages are drawn by scripts/slack-html.mjs
 * from Lookout's payloads (scripts/slack-picture.mjs screenshots them). The
 * drawing must show payload text as text, whatever it holds, and mrkdwn as
 * Slack shows it: here without a browser, on made-up strings and on the
 * payloads src/notify/slack/message.ts builds.
 */
import { describe, expect, it } from "vitest";
import { escapeHtml, mrkdwnToHtml, slackMessageHtml, slackPageHtml } from "../../scripts/slack-html.mjs";
import { buildSlackMessage } from "../../src/notify/slack/message.js";
import { sampleNotification, T0 } from "../support/sample-notification.js";

/** Tags the drawing makes itself; any other tag in its output came from the payload. */
const OWN_TAGS = new Set(["b", "i", "s", "a", "code", "pre", "span", "div", "hr", "svg", "rect", "path", "circle"]);
const tagsOf = (html: string) => [...html.matchAll(/<\/?([a-zA-Z][\w-]*)/g)].map((m) => m[1]!.toLowerCase());

describe("mrkdwnToHtml: payload text stays text", () => {
  it("shows Slack's escaped < > & as those characters, never as markup", () => {
    const html = mrkdwnToHtml("&lt;script&gt;alert(1)&lt;/script&gt; Tom &amp; Jerry &lt;!channel&gt;");
    expect(html).toBe("&lt;script&gt;alert(1)&lt;/script&gt; Tom &amp; Jerry &lt;!channel&gt;");
    expect(tagsOf(html)).toEqual([]);
  });

  it("decodes an entity once: `&amp;lt;` is the text &lt;", () => {
    expect(mrkdwnToHtml("&amp;lt;b&amp;gt;")).toBe("&amp;lt;b&amp;gt;");
  });

  it("shows a raw `<script>` or `<img onerror>` (not a Slack control sequence) as the text it is", () => {
    const html = mrkdwnToHtml('<script>alert(1)</script> <img src=x onerror="alert(1)"> a & b " \'');
    expect(html).toBe("&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=&quot;alert(1)&quot;&gt; a &amp; b &quot; &#39;");
    expect(tagsOf(html)).toEqual([]);
  });

  it("draws a raw <!channel> as Slack does (a mention), and nothing else of the sort", () => {
    expect(mrkdwnToHtml("<!channel> <!here>")).toBe('<span class="mention">@channel</span> <span class="mention">@here</span>');
    expect(mrkdwnToHtml("<!nonsense>")).toBe("&lt;!nonsense&gt;");
  });

  it("cannot forge its own placeholders with private-use characters", () => {
    const html = mrkdwnToHtml("`x` \uE0000\uE001 \uE0001\uE001");
    expect(html).toBe("<code>x</code> \uFFFD0\uFFFD \uFFFD1\uFFFD");
  });
});

describe("mrkdwnToHtml: links", () => {
  it("makes http(s) and mailto links, the URL's &amp; decoded and the attribute escaped", () => {
    expect(mrkdwnToHtml("<https://lookout.example.com/?from=1&amp;to=2#/|Open *it*>")).toBe('<a href="https://lookout.example.com/?from=1&amp;to=2#/">Open *it*</a>');
    expect(mrkdwnToHtml("<mailto:ops@example.com>")).toBe('<a href="mailto:ops@example.com">mailto:ops@example.com</a>');
    expect(mrkdwnToHtml('<https://a.example/"onmouseover="alert(1)|x>')).toBe('<a href="https://a.example/&quot;onmouseover=&quot;alert(1)">x</a>');
  });

  it("makes no link of another scheme: it is shown as text", () => {
    const html = mrkdwnToHtml("<javascript:alert(1)|click> <data:text/html,x|y>");
    expect(html).toBe("&lt;javascript:alert(1)|click&gt; &lt;data:text/html,x|y&gt;");
    expect(html).not.toContain("<a");
  });
});

describe("mrkdwnToHtml: code and emphasis", () => {
  it("draws a ``` block as a block of its own, its text escaped and not formatted", () => {
    const html = mrkdwnToHtml("*Last log lines*\n```\nError: &lt;b&gt; *not bold* <https://x.example|no link>\n\tat main\n```\nafter");
    expect(html).toBe('<b>Last log lines</b><pre class="code-block">Error: &lt;b&gt; *not bold* &lt;https://x.example|no link&gt;\n\tat main</pre>after');
  });

  it("draws `inline code` unformatted", () => {
    expect(mrkdwnToHtml("run `lookout *check*` now")).toBe("run <code>lookout *check*</code> now");
  });

  it("bold, italic, strike between word boundaries only; not inside names like host_cpu", () => {
    expect(mrkdwnToHtml("*Host*\nweb-1 _soon_ ~gone~")).toBe("<b>Host</b>\nweb-1 <i>soon</i> <s>gone</s>");
    expect(mrkdwnToHtml("host_cpu_total 2*3*4 * not *")).toBe("host_cpu_total 2*3*4 * not *");
    expect(mrkdwnToHtml("*호스트*\n메시지")).toBe("<b>호스트</b>\n메시지");
  });
});

describe("mrkdwnToHtml: dates as the reader sees them", () => {
  const date = "<!date^1714564800^{date_short_pretty} {time}|2024-05-01 12:00 UTC>";
  it("in English and UTC, 'Today' on the day itself, the date otherwise", () => {
    expect(mrkdwnToHtml(date, { now: T0 + 60_000 })).toBe('<span class="date">Today 12:00 PM</span>');
    expect(mrkdwnToHtml(date, { now: T0 + 3 * 86_400_000 })).toBe('<span class="date">May 1, 2024 12:00 PM</span>');
  });

  it("in Korean and Seoul's time: 오늘 오후 9:00", () => {
    expect(mrkdwnToHtml(date, { locale: "ko-KR", timeZone: "Asia/Seoul", now: T0 })).toBe('<span class="date">오늘 오후 9:00</span>');
    expect(mrkdwnToHtml("<!date^1714530000^{time}|x>", { locale: "ko-KR", timeZone: "Asia/Seoul" })).toBe('<span class="date">오전 11:20</span>');
  });
});

describe("slackMessageHtml", () => {
  it("escapes a header, a button and the bot's name; keeps a colour only when it is #rrggbb", () => {
    // Not a payload Lookout makes (no type would let it): one as hostile as Slack could be sent.
    const hostile = {
      text: "t",
      attachments: [
        {
          color: "red;background:url(https://x.example)",
          blocks: [
            { type: "header", text: { type: "plain_text", text: "<img src=x onerror=alert(1)> *not bold*" } },
            { type: "actions", elements: [{ type: "button", text: { type: "plain_text", text: "<b>Open</b>" }, url: "javascript:alert(1)", action_id: "open" }] },
            { type: "video", title: "<script>" },
          ],
        },
      ],
    };
    const html = slackMessageHtml(hostile, { botName: "<Lookout>" });
    expect(html).toContain('<div class="header">&lt;img src=x onerror=alert(1)&gt; *not bold*</div>');
    expect(html).toContain('<span class="button">&lt;b&gt;Open&lt;/b&gt;</span>');
    expect(html).toContain('<span class="name">&lt;Lookout&gt;</span>');
    expect(html).toContain("background:#dddddd");
    expect(html).toContain("(a video block, not drawn)");
    expect(html).not.toContain("javascript:");
    expect(tagsOf(html).filter((t) => !OWN_TAGS.has(t))).toEqual([]);
  });

  it("draws a real CPU alert: title, bold labels beside values, top processes in a code block, grey context", () => {
    const html = slackMessageHtml(buildSlackMessage(sampleNotification()), { at: T0 + 3 * 60_000 });
    expect(html).toContain('<span class="time">12:03 PM</span>');
    expect(html).toContain('style="background:#d50200"');
    expect(html).toContain('<div class="header">[web-1] CRITICAL: CPU 97.2% (threshold 95%) for 3m</div>');
    expect(html).toContain('<div class="mrkdwn"><b>Host</b>\nweb-1</div>');
    expect(html).toContain('<b>Since</b>\n<span class="date">Today 12:00 PM</span> (3m)');
    expect(html).toMatch(/<pre class="code-block">node \(4242\)\s+— 97\.1% CPU\npostgres \(17\)\s+— 3\.0% CPU<\/pre>/);
    expect(html).toContain('<div class="context"><span>Lookout · alert host_cpu{hostname=&quot;web-1&quot;} · notification n-0001</span></div>');
  });

  it("draws a Korean alert in Korean, its times in Seoul's", () => {
    const html = slackMessageHtml(buildSlackMessage(sampleNotification({ locale: "ko" })), { at: T0 + 3 * 60_000, locale: "ko-KR", timeZone: "Asia/Seoul" });
    expect(html).toContain('<span class="time">오후 9:03</span>');
    expect(html).toContain("<b>호스트</b>\nweb-1");
    expect(html).toContain("<b>발생 시각</b>\n" + '<span class="date">오늘 오후 9:00</span>');
    expect(html).toContain("사용량 상위 프로세스");
    for (const english of ["Host", "Severity", "Since", "Top processes", "notification"]) expect(html).not.toContain(english);
  });

  it("shows hostile machine text of a real payload as text: no mention, no link, no tag", () => {
    const evil = "<!channel> <https://evil.example|click here> & <script>";
    const payload = buildSlackMessage(sampleNotification({ hostname: evil, details: { facts: [{ label: evil, value: evil }] } }));
    const html = slackMessageHtml(payload);
    expect(html).not.toContain('class="mention"');
    expect(html).not.toContain("<a ");
    expect(html).not.toContain("<script");
    expect(html).toContain("&lt;!channel&gt; &lt;https://evil.example|click here&gt; &amp; &lt;script&gt;");
  });
});

describe("slackPageHtml", () => {
  it("is a page no script may run in, its channel name escaped", () => {
    const page = slackPageHtml([], { lang: "ko", channel: "<b>장애</b>" });
    expect(page).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
    expect(page).toContain('<html lang="ko">');
    expect(page).toContain("&lt;b&gt;장애&lt;/b&gt;");
    expect(escapeHtml(`<&>"'`)).toBe("&lt;&amp;&gt;&quot;&#39;");
  });
});
