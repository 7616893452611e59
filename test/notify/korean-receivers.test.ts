/**
 * Receivers in Korean, in process: what people read follows the language,
 * what scripts read (JSON keys, labels, tags, priorities, the value
 * annotations) stays the same in every language. Every kind's whole message
 * and test message in Korean: all-receivers.test.ts.
 */
import { describe, expect, it } from "vitest";
import { messages } from "../../src/i18n/messages.js";
import type { Notification } from "../../src/model/notification.js";
import { testCard } from "../../src/notify/chat-card.js";
import { buildDiscordMessage } from "../../src/notify/discord/message.js";
import { undeliveredNote } from "../../src/notify/dispatcher.js";
import { buildTestEmail } from "../../src/notify/email/message.js";
import { dashboardLinks } from "../../src/notify/links.js";
import { ntfyPayload } from "../../src/notify/ntfy/ntfy.js";
import { pagerdutyEvent } from "../../src/notify/pagerduty/pagerduty.js";
import { plainMessage } from "../../src/notify/plain-text.js";
import { buildSlackTestMessage } from "../../src/notify/slack/message.js";
import { alertmanagerPayload } from "../../src/notify/webhook/alertmanager.js";
import { webhookTestNotification } from "../../src/notify/webhook/webhook.js";
import { sampleNotification, T0 } from "../support/sample-notification.js";

const ko = messages("ko", { timeZone: "Asia/Seoul" });
const links = dashboardLinks({ enabled: true, public_url: "https://lookout.example" })!;

describe("a Korean notification's fixed words", () => {
  it("plain text: labels, times in KST, the resolved value and how long it lasted", () => {
    const before = process.env.TZ;
    process.env.TZ = "Asia/Seoul";
    try {
      const firing = plainMessage([sampleNotification({ locale: "ko" })], { title: 250, message: 4000 }).message;
      expect(firing.split("\n").slice(0, 4)).toEqual(["호스트: web-1", "심각도: 심각", "CPU: 97.2% (임계값 95%)", "발생 시각: 2024-05-01 21:00 KST (3분째)"]);
      expect(firing).toContain("CPU 사용량 상위 프로세스:\n  node (pid 4242): CPU 97.1%");
      const resolved = plainMessage([sampleNotification({ locale: "ko", kind: "resolved", at: T0 + 3_600_000, alert: { value: 40, gone: "마운트 해제됨" } })], {
        title: 250,
        message: 4000,
      }).message;
      expect(resolved).toContain("지속 시간: 59분 (2024-05-01 21:01 KST ~ 2024-05-01 22:00 KST)");
      expect(resolved).toContain("복구 사유: 마운트 해제됨");
      const cut = plainMessage([sampleNotification({ locale: "ko", details: { facts: [{ label: "긴 값", value: "가".repeat(5000) }] } })], { title: 250, message: 500 }).message;
      expect(cut.endsWith("… (이하 생략)")).toBe(true);
    } finally {
      if (before === undefined) delete process.env.TZ;
      else process.env.TZ = before;
    }
  });

  it("PagerDuty: its details' keys for scripts unchanged, the words for people in Korean", () => {
    const e = pagerdutyEvent(sampleNotification({ locale: "ko" }), { links, note: "2건 전달 실패" });
    const details = e.payload!.custom_details;
    expect(Object.keys(details).slice(0, 7)).toEqual(["alert", "state", "labels", "value", "threshold", "peak", "active_since"]);
    expect(details["CPU 사용량 상위 프로세스"]).toEqual(["node (pid 4242): CPU 97.1%, 메모리 12.5%", "postgres (pid 17): CPU 3.0%, 메모리 8.0%"]);
    expect(details["앞서 전달하지 못한 알림"]).toBe("2건 전달 실패");
    expect(e.links!.map((l) => l.text)).toEqual(["Lookout에서 보기", "Lookout에서 1시간 알림 끄기"]);
    expect(e.payload!.severity).toBe("critical");
  });

  it("webhook: the description in Korean, labels and the value annotations as scripts read them", () => {
    const n: Notification = sampleNotification({ locale: "ko", kind: "resolved", at: T0 + 3_600_000, alert: { value: 40 } });
    const alert = alertmanagerPayload([n], { receiver: "hook" }).alerts[0]!;
    expect(alert.labels).toEqual({ alertname: "host_cpu", hostname: "web-1", severity: "critical" });
    expect(alert.annotations.value).toBe("40.0%");
    expect(alert.annotations.threshold).toBe("95%");
    expect(alert.annotations.description!.split("\n").slice(0, 3)).toEqual(["값: 40.0%", "임계값: 95%", "최고: 97.2%"]);
    expect(alert.annotations.description).toContain("CPU 사용량 상위 프로세스:\n  node (pid 4242): CPU 97.1%, 메모리 12.5% (512 MiB)");
  });

  it("ntfy: the silence button's label in Korean, priority and tags unchanged", () => {
    const p = ntfyPayload([sampleNotification({ locale: "ko" })], "t", links);
    expect(p.actions).toEqual([expect.objectContaining({ label: "1시간 알림 끄기" })]);
    expect(p.priority).toBe(5);
    expect(p.tags).toEqual(["rotating_light"]);
  });
});

describe("the note on what could not be delivered before", () => {
  it("is in the language of the message that carries it", () => {
    const failed = [
      { receiver: "team", error: "HTTP 404" },
      { receiver: "team", error: "HTTP 410" },
      { receiver: "pager", error: "timed out" },
    ];
    const f = failed as unknown as Parameters<typeof undeliveredNote>[0];
    expect(undeliveredNote(f, "ko")).toBe("알림 3건 전달 실패: team에 2건 (HTTP 410); pager에 1건 (timed out). lookout status로 확인하세요.");
    expect(undeliveredNote(f)).toBe("3 notifications could not be delivered: 2 to team (HTTP 410); 1 to pager (timed out). lookout status lists them.");
    expect(undeliveredNote(f.slice(2))).toBe("1 notification could not be delivered: 1 to pager (timed out). lookout status lists them.");
  });
});

describe("test messages in the config's language", () => {
  it("the test notification of webhook-like receivers: its words in Korean, its labels the same", () => {
    const n = webhookTestNotification("web-1", T0, "hook", ko);
    expect(n.locale).toBe("ko");
    expect(n.alert.labels).toEqual({ alertname: "LookoutTest", severity: "warning", hostname: "web-1" });
    expect(n.alert.display).toBe("Lookout 테스트");
    expect(n.alert.summary).toBe("Lookout 테스트 알림: webhook hook 정상 동작");
    expect(n.details.facts).toEqual([{ label: "발송", value: "lookout test-notify (장애 아님)" }]);
    expect(webhookTestNotification("web-1", T0, "hook").locale).toBeUndefined();
  });

  it("Slack, a chat card and the mail: title, text, button and when it was sent, in KST", () => {
    const slack = JSON.stringify(buildSlackTestMessage("web-1", T0, links, ko));
    expect(slack).toContain('"text":"[web-1] Lookout 테스트 메시지"');
    expect(slack).toContain("*web-1*의 Lookout이 보낸 테스트 메시지입니다. 이 메시지가 보이면 webhook 설정은 정상이며, 이 서버의 알림이 이 채널로 옵니다.");
    expect(slack).toContain("Lookout · 테스트 발송 <!date^1714564800^{date_short_pretty} {time}|2024-05-01 21:00 KST>");
    expect(slack).toContain('"text":"Lookout에서 보기"');
    const discord = buildDiscordMessage(testCard("web-1", T0, "receiver.test.where.webhook", links, ko));
    expect(discord.content).toBe("\\[web\\-1\\] Lookout 테스트 메시지");
    expect(discord.embeds[0]!.description).toContain("web\\-1의 Lookout이 보낸 테스트 메시지입니다. 이 메시지가 보이면 이 webhook 설정은 정상이며");
    expect(discord.embeds[0]!.footer!.text).toBe("Lookout · 테스트 발송 2024-05-01 21:00 KST");
    const mail = buildTestEmail("web-1", T0, "ops-mail", { domain: "example.com", links }, ko);
    expect(mail.subject).toBe("[web-1] Lookout 테스트 메시지");
    expect(mail.text).toContain("메일 수신자 ops-mail 설정은 정상이며, 이 서버의 알림이 이 메일함으로 옵니다.");
    expect(mail.html).toContain('<html lang="ko">');
    expect(mail.html).toContain("Lookout이 보낸 메일입니다.");
    for (const text of [slack, JSON.stringify(discord), mail.text, mail.html]) expect(text).not.toMatch(/test message|This is a test|test sent|Open in Lookout|Sent by/);
  });
});
