/**
 * `locale: ko`: a crash and a resolved CPU alert as Slack shows them, made the
 * way the pipeline makes them (evaluate with the config's locale, then the
 * Enricher). Golden strings, reviewed for natural Korean; English stays as it
 * was (the other tests in this folder, unchanged).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configSchema } from "../../../src/config/schema.js";
import { containerRules } from "../../../src/evaluate/container-rules.js";
import { evaluate } from "../../../src/evaluate/evaluate.js";
import { hostRules } from "../../../src/evaluate/host-rules.js";
import type { AlertSnapshot } from "../../../src/model/notification.js";
import type { Sample } from "../../../src/model/sample.js";
import { dashboardLinks } from "../../../src/notify/links.js";
import { buildSlackGroupMessage, buildSlackMessage, type SlackBlock, type SlackPayload } from "../../../src/notify/slack/message.js";
import { Enricher } from "../../../src/pipeline/enrich.js";
import { validateSlackPayload } from "../../support/fake-slack.js";
import { sampleNotification, T0 } from "../../support/sample-notification.js";

const zone = process.env.TZ;
beforeAll(() => {
  process.env.TZ = "Asia/Seoul";
});
afterAll(() => {
  if (zone === undefined) delete process.env.TZ;
  else process.env.TZ = zone;
});

const links = dashboardLinks({ enabled: true, public_url: "https://lookout.example" });

/** What a reader sees: the header, each field, each text section, the buttons and the context line. */
function shown(p: SlackPayload): string[] {
  const out: string[] = [];
  for (const b of p.attachments[0]!.blocks as SlackBlock[]) {
    if (b.type === "header") out.push(`header: ${b.text.text}`);
    if (b.type === "section") {
      if (b.text) out.push(b.text.text);
      for (const f of b.fields ?? []) out.push(f.text);
    }
    if (b.type === "actions") out.push(`buttons: ${b.elements.map((e) => e.text.text).join(" | ")}`);
    if (b.type === "context") out.push(`context: ${b.elements.map((e) => e.text).join()}`);
  }
  return out;
}

async function pipelineNotification(sample: Sample, alert: Partial<AlertSnapshot>, kind: "firing" | "resolved", at: number) {
  const config = configSchema.parse({ locale: "ko" });
  const evaluation = evaluate([sample], [...hostRules, ...containerRules], config, "web-1");
  const o = evaluation.observations[0]!;
  const enricher = new Enricher({ hostname: "web-1", evaluation, samples: [sample], topProcesses: async () => [] });
  const snapshot: AlertSnapshot = {
    fingerprint: o.fingerprint,
    alertname: o.alertname,
    labels: { ...o.labels, severity: "critical" },
    severity: "critical",
    maxSeverity: "critical",
    display: o.display,
    value: o.value,
    threshold: 1,
    unit: o.unit,
    activeSince: T0,
    firingSince: T0,
    peak: o.value,
    ...(o.summary !== undefined ? { summary: o.summary } : {}),
    ...(o.causedAt !== undefined ? { causedAt: o.causedAt } : {}),
    ...alert,
  };
  const event = { kind, alert: snapshot };
  return { ...enricher.notification(event, await enricher.details(event, []), at), id: "n-0001" };
}

const crash: Sample = {
  name: "container_crashed",
  value: 1,
  labels: { container: "web", image: "shop/web:1.4.2", compose_project: "shop", compose_service: "web" },
  meta: {},
  details: {
    exitCode: 1,
    ranForMs: 5 * 60_000 + 12_000,
    restartCount: 3,
    restartPolicy: "on-failure",
    error: "",
    at: T0,
    logs: ["Error: connect ECONNREFUSED 10.0.0.5:5432"],
    status: "restarting",
    removed: false,
    reconciled: false,
    dockerOomFlag: false,
    writesTo: [],
  },
};

describe("Slack in Korean", () => {
  it("a crash: title, facts, last log lines, buttons", async () => {
    const n = await pipelineNotification(crash, {}, "firing", T0 + 10_000);
    expect(n.locale).toBe("ko");
    const p = buildSlackMessage(n, { links });
    expect(validateSlackPayload(p)).toBeNull();
    expect(p.text).toBe("[web-1] 심각: web 컨테이너 비정상 종료: 종료 코드 1 (애플리케이션 오류)");
    expect(shown(p)).toEqual([
      "header: [web-1] 심각: web 컨테이너 비정상 종료: 종료 코드 1 (애플리케이션 오류)",
      "*호스트*\nweb-1",
      "*심각도*\n심각",
      "*발생 시각*\n<!date^1714564800^{date_short_pretty} {time}|2024-05-01 21:00 KST> (10초째)",
      "*종료 코드*\n1: 애플리케이션 오류",
      "*이미지*\nshop/web:1.4.2",
      "*Compose*\nshop / web",
      "*실행 시간*\n5분 12초",
      "*재시작*\n3회 (재시작 정책: on-failure)",
      "*현재 상태*\nrestarting",
      "*마지막 로그*\n```\nError: connect ECONNREFUSED 10.0.0.5:5432\n```",
      "buttons: Lookout에서 보기 | 1시간 알림 끄기",
      'context: Lookout · 알림 container_crashed{compose_project="shop",compose_service="web",container="web",hostname="web-1",image="shop/web:1.4.2"} · 메시지 n-0001',
    ]);
  });

  it("a resolved CPU alert: how long it lasted, its peak, the times in KST", async () => {
    const cpu: Sample = { name: "host_cpu", value: 41.5, labels: {}, details: { user: 30.1, system: 10, iowait: 1.2, steal: 0, windowMs: 10_000 } };
    const n = await pipelineNotification(cpu, { threshold: 95, peak: 98.1, firingSince: T0 + 60_000, activeSince: T0 }, "resolved", T0 + 81 * 60_000);
    const p = buildSlackMessage(n, { links });
    expect(validateSlackPayload(p)).toBeNull();
    expect(p.text).toBe("[web-1] 복구: CPU 41.5% (1시간 20분 지속, 최고 98.1%)");
    expect(shown(p)).toEqual([
      "header: [web-1] 복구: CPU 41.5% (1시간 20분 지속, 최고 98.1%)",
      "*호스트*\nweb-1",
      "*심각도*\n복구됨 (이전: 심각)",
      "*값*\nCPU: 현재 41.5% · 최고 98.1% (임계값 95%)",
      "*지속 시간*\n1시간 20분 (<!date^1714564860^{date_short_pretty} {time}|2024-05-01 21:01 KST> ~ <!date^1714569660^{date_short_pretty} {time}|2024-05-01 22:21 KST>)",
      "*CPU 구성*\nuser 30.1% · system 10.0% · iowait 1.2% · steal 0.0%",
      "buttons: Lookout에서 보기",
      'context: Lookout · 알림 host_cpu{hostname="web-1"} · 메시지 n-0001',
    ]);
  });

  it("a firing CPU alert and a group: threshold, how long it held, counts", () => {
    const firing = sampleNotification({ locale: "ko" });
    expect(buildSlackMessage(firing).text).toBe("[web-1] 심각: CPU 97.2% (임계값 95%), 3분째 지속");
    const reminder = sampleNotification({ locale: "ko", kind: "reminder" });
    expect(buildSlackMessage(reminder).text).toBe("[web-1] 계속 발생 중: CPU 97.2% (임계값 95%), 3분째 지속");
    const escalated = sampleNotification({ locale: "ko", kind: "escalated" });
    expect(buildSlackMessage(escalated).text).toBe("[web-1] 심각 (경고에서 격상): CPU 97.2% (임계값 95%), 3분째 지속");
    const crashed = sampleNotification({ locale: "ko", alert: { alertname: "container_crashed", summary: "web 컨테이너 비정상 종료: 종료 코드 1 (application error)" } });
    const resolved = sampleNotification({ locale: "ko", kind: "resolved", id: "n-0002" });
    const group = buildSlackGroupMessage([crashed, { ...crashed, id: "n-0003" }, resolved], { links });
    expect(shown(group)[0]).toBe("header: [web-1] 컨테이너 비정상 종료 2건, 복구 1건");
    expect(shown(group).at(-2)).toBe("buttons: Lookout에서 보기");
    expect(shown(group).at(-1)).toBe("context: Lookout · 메시지 3개 · 첫 메시지 n-0001");
  });

  it("English is what it always was: no locale and locale en make the same message", () => {
    const plain = sampleNotification();
    expect(buildSlackMessage({ ...plain, locale: "en" }, { links })).toEqual(buildSlackMessage(plain, { links }));
    expect(buildSlackMessage(plain).text).toBe("[web-1] CRITICAL: CPU 97.2% (threshold 95%) for 3m");
  });
});
