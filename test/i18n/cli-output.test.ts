/**
 * The CLI's words in Korean (issue 14), rendered in process: `lookout check`'s
 * table, `lookout run`'s first-check line and its hint, a silence's warning.
 * English stays as it was (test/cli/*.test.ts compare it); here Korean comes
 * out natural, with the host's time named, and no English fixed word is left.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { CycleResult } from "../../src/agent.js";
import { init } from "../../src/cli/actions/init.js";
import { installService } from "../../src/cli/actions/install-service.js";
import { unknownLabelWarning } from "../../src/cli/actions/silence.js";
import { checkTable, stateText } from "../../src/cli/check-report.js";
import { type StatusView, statsSourceLine, statusText } from "../../src/cli/commands/status.js";
import { noWebhookHint } from "../../src/cli/context.js";
import { firstCheckLine } from "../../src/cli/first-check.js";
import { textWidth } from "../../src/cli/table.js";
import { instantText, localTimeText } from "../../src/cli/times.js";
import { type StatsSource, statsSourceText } from "../../src/collect/docker/saved.js";
import { setProcessLocale } from "../../src/i18n/current.js";
import { messages } from "../../src/i18n/messages.js";
import { parseMatcher } from "../../src/label-matchers.js";
import { cpuObservation } from "../support/observations.js";
import { alertRecord, bareSample } from "../support/records.js";
import { sampleNotification } from "../support/sample-notification.js";

const ko = messages("ko", { timeZone: "Asia/Seoul" });
const en = messages("en");
/** 2026-12-01 06:04:30 UTC: 15:04 in Seoul. */
const AT = Date.UTC(2026, 11, 1, 6, 4, 30);

const sample = bareSample;
const alert = alertRecord;

/** A check of web-1: CPU firing critical, one disk ok, two ok containers, one collector error. */
function cycle(): CycleResult {
  const cpu = cpuObservation(97.24);
  const disk = cpuObservation(21.8, { fingerprint: "disk", alertname: "host_disk", labels: { alertname: "host_disk", hostname: "web-1", mount: "/data" } });
  const containers = ["api-1", "api-2"].map((name) =>
    cpuObservation(3, { fingerprint: name, alertname: "container_cpu", labels: { alertname: "container_cpu", hostname: "web-1", container: name } }),
  );
  const firing = { ...alert("host_cpu", {}, "firing", "critical"), fingerprint: cpu.fingerprint };
  return {
    checkedAt: AT,
    samples: [
      sample("host_cpu", 97.24),
      sample("host_memory", 41.6),
      sample("host_disk", 21.8, { mount: "/data" }),
      sample("container_unhealthy", 0, { container: "api-1" }),
      sample("container_unhealthy", 1, { container: "api-2" }),
    ],
    evaluation: { observations: [cpu, disk, ...containers], evaluated: new Set(), sources: new Map() },
    active: [firing],
    resolved: [],
    notifications: [],
    errors: ["docker: cannot connect to /var/run/docker.sock"],
    status: "critical",
  } as CycleResult;
}

/** Words of the English table and lines that must not survive in Korean (machine text such as host_cpu may). */
const ENGLISH_WORDS =
  /\b(RULE|LABELS|VALUE|WARN|CRIT|STATE|status|FIRING|PENDING|RESOLVED|ok|error|container checks?|lists them|first check|memory|fullest|containers?|unhealthy|nothing|firing|collectors?|failed|see above)\b/;

describe("lookout check's table in Korean", () => {
  const table = checkTable(cycle(), "web-1", { messages: ko });
  const lines = table.split("\n");

  it("writes its words in Korean and the time in the host's zone, named", () => {
    expect(lines[0]).toBe("web-1  2026-12-01 15:04 KST  상태: 심각");
    expect(lines[2]).toMatch(/^규칙\s+라벨\s+값\s+경고\s+심각\s+상태$/);
    expect(table).toContain("심각 발생");
    expect(table).toContain("정상");
    expect(table).toContain("정상인 컨테이너 점검 2건 생략 (전체 목록: lookout check --all)");
    expect(table).toContain("오류: docker: cannot connect to /var/run/docker.sock");
    expect(table.replace(/host_cpu|host_disk|docker: cannot connect to \/var\/run\/docker\.sock|lookout check --all/g, "")).not.toMatch(ENGLISH_WORDS);
  });

  it("aligns its columns by terminal width, a Hangul syllable counting two", () => {
    const header = lines[2]!;
    const rows = lines.slice(3, 5);
    // Each column starts at the same terminal column in the header and in every row.
    const start = (line: string, cell: string) => textWidth(line.slice(0, line.indexOf(cell)));
    expect(start(rows[0]!, "97.2%")).toBe(start(header, "값"));
    expect(start(rows[1]!, "21.8%")).toBe(start(header, "값"));
    expect(start(rows[0]!, "심각 발생")).toBe(start(header, "상태"));
    expect(start(rows[1]!, "정상")).toBe(start(header, "상태"));
  });

  it("is what it always was in English", () => {
    const english = checkTable(cycle(), "web-1", { messages: en });
    expect(english.split("\n")[0]).toBe("web-1  2026-12-01T06:04:30.000Z  status: CRITICAL");
    expect(english).toMatch(/^RULE\s+LABELS\s+VALUE\s+WARN\s+CRIT\s+STATE$/m);
    expect(english).toContain("FIRING critical");
    expect(english).toContain("2 container checks ok (lookout check --all lists them)");
    expect(english).toContain("error: docker: cannot connect");
  });

  it("names each state", () => {
    expect(stateText(ko, "pending", "warning")).toBe("경고 대기");
    expect(stateText(ko, "resolved", "critical")).toBe("복구");
    expect(stateText(en, "pending", "warning")).toBe("PENDING warning");
  });
});

describe("lookout run's lines in Korean", () => {
  it("the first check's line", () => {
    const line = firstCheckLine(cycle(), ko);
    expect(line).toBe(
      "첫 점검: CPU 97%, 메모리 42%, 사용률이 가장 높은 디스크 /data 22%, 컨테이너 2개 (unhealthy 1개), 알림 1건 발생 중: host_cpu, 수집기 1개 실패 (위 로그 참고)",
    );
    expect(line.replace(/unhealthy 1개|host_cpu/g, "")).not.toMatch(ENGLISH_WORDS);
    expect(firstCheckLine(cycle(), en)).toBe(
      "first check: CPU 97 %, memory 42 %, fullest disk /data 22 %, 2 containers (1 unhealthy), 1 firing: host_cpu, 1 collector failed (see above)",
    );
  });

  it("names more than five firing alerts by count", () => {
    const result = { ...cycle(), active: ["a", "b", "c", "d", "e", "f", "g"].map((c) => alert("container_crashed", { container: c }, "firing")), errors: [] };
    expect(firstCheckLine(result, ko)).toMatch(/알림 7건 발생 중: container_crashed a, .*container_crashed e 외 2건$/);
  });

  it("the hint when no receiver is configured", () => {
    expect(noWebhookHint(ko)).toMatch(/^Slack webhook이 설정되지 않아 알림을 여기에만 출력합니다\. .*LOOKOUT_SLACK_WEBHOOK_URL=.*lookout test-notify로 시험해 보세요$/);
    expect(noWebhookHint(en)).toMatch(/^No Slack webhook configured: alerts are printed here\./);
  });
});

describe("times and silences in Korean", () => {
  it("writes a moment in the host's zone, named; English keeps its own forms", () => {
    expect(instantText(ko, AT)).toBe("2026-12-01 15:04 KST");
    expect(localTimeText(ko, AT)).toBe("2026-12-01 15:04 KST");
    expect(instantText(en, AT)).toBe("2026-12-01T06:04:30.000Z");
    expect(localTimeText(en, AT)).toMatch(/^2026-12-01 \d\d:04 [+-]\d\d:\d\d$/);
  });

  it("warns of a label no alert has", () => {
    const warning = unknownLabelWarning(parseMatcher("contianer=db-1"), "3f9a1c2e", ko);
    expect(warning).toMatch(/^--match contianer=db-1: "contianer" 라벨이 있는 알림은 없습니다 \("container"의 오타일 수 있습니다\)\. 라벨은 .*입니다\./);
    expect(warning).toContain("이 사일런스로 막히는 알림은 없습니다. 의도한 것이 아니면 lookout silence remove 3f9a1c2e로 해제하세요");
    expect(unknownLabelWarning(parseMatcher("contianer=db-1"), "3f9a1c2e", en)).toMatch(/no alert has a label "contianer" \(did you mean "container"\?\)/);
  });
});

describe("lookout status's line on where container figures come from", () => {
  const sources: StatsSource[] = [
    { cgroup: 3, cgroupVersion: 1, api: 0, apiReasons: [], at: 0 },
    { cgroup: 0, cgroupVersion: null, api: 2, apiReasons: [{ reason: "Docker gave no process id for it", containers: 2 }], at: 0 },
    {
      cgroup: 8,
      cgroupVersion: 2,
      api: 3,
      apiReasons: [
        { reason: "Docker gave no process id for it", containers: 1 },
        { reason: "/sys/fs/cgroup is not readable", containers: 2 },
      ],
      at: 0,
    },
  ];

  it("says in English what the collector says", () => {
    for (const s of sources) expect(statsSourceLine(en, s)).toBe(statsSourceText(s));
    expect(statsSourceLine(en, null)).toBeNull();
  });

  it("says it in Korean, the collector's reasons as they are", () => {
    expect(statsSourceLine(ko, sources[0]!)).toBe("컨테이너 통계: cgroup 파일에서 읽음 (v1)");
    expect(statsSourceLine(ko, sources[1]!)).toBe("컨테이너 통계: Engine API에서 읽음 (이유: Docker gave no process id for it)");
    expect(statsSourceLine(ko, sources[2]!)).toBe(
      "컨테이너 통계: 8개는 cgroup 파일에서 (v2), 3개는 Engine API에서 읽음 (이유: Docker gave no process id for it (1개); /sys/fs/cgroup is not readable (2개))",
    );
  });
});

describe("init and install-service in Korean (the process's language)", () => {
  afterEach(() => {
    setProcessLocale(undefined);
    vi.restoreAllMocks();
  });

  /** What `fn` writes to stdout. */
  function stdoutOf(fn: () => void): string {
    let out = "";
    vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    fn();
    return out;
  }

  it("init says what it wrote, and refuses an existing file, in Korean", () => {
    setProcessLocale("ko");
    const dir = mkdtempSync(join(tmpdir(), "kocli-init-"));
    const path = join(dir, "lookout.yaml");
    expect(stdoutOf(() => init(path, {}))).toBe(`${path} 파일을 만들었습니다\n수정한 뒤 다음 명령으로 확인하세요: lookout check --config ${path}\n`);
    expect(() => init(path, {})).toThrow(`${path} 파일이 이미 있습니다. 덮어쓰려면 --force를 주세요`);
  });

  it("install-service --dry-run lists its steps in Korean, no English step word left", () => {
    setProcessLocale("ko");
    const dir = mkdtempSync(join(tmpdir(), "kocli-install-"));
    writeFileSync(join(dir, "lookout.service"), "old unit\n");
    const cmd = { optsWithGlobals: () => ({ config: join(dir, "etc", "lookout.yaml"), dataDir: join(dir, "data") }) } as unknown as Command;
    const out = stdoutOf(() => installService({ unitDir: dir, dryRun: true }, cmd));
    expect(out).toContain(`${join(dir, "etc")} 생성 예정\n`);
    expect(out).toContain(`${join(dir, "etc", "lookout.yaml")} 작성 예정 (lookout init과 같은 내용: 모든 옵션과 기본값, mode 600)\n`);
    expect(out).toContain(`${join(dir, "data")} 생성 예정 (mode 700)\n`);
    expect(out).toContain(`${join(dir, "lookout.service")} 내용이 달라 교체하지 않을 예정 (--force를 주면 교체)\n`);
    expect(out).toContain(`\n${join(dir, "lookout.service")}에 쓸 내용:\n\n`);
    expect(out).toMatch(/\nSlack webhook\(그 밖의 비밀 값도\)은 .*\/etc\/env에 mode 600으로 넣으세요: .*\n다음으로 root로 실행하세요:\n {2}systemctl daemon-reload\n/);
    const steps = out.slice(0, out.indexOf("에 쓸 내용:"));
    expect(steps).not.toMatch(/\b(would|wrote|created|kept|exists|refuse|give|gave|root:)\b/);
  });
});

describe("lookout status's text in Korean", () => {
  const view = (): StatusView => ({
    hostname: "web-1",
    dataDir: "/var/lib/lookout",
    now: AT,
    state: {
      lastCycleAt: AT - 90_000,
      alerts: [{ ...alert("host_disk", { mount: "/data" }, "firing", "critical"), unit: "%", value: 97.24, threshold: 95, firingSince: AT - 3_600_000 }],
      outbox: [
        {
          notification: sampleNotification({ kind: "resolved" }),
          pending: [{ receiver: "oncall", attempts: 3, nextAttemptAt: AT + 120_000, firstAttemptAt: AT - 600_000, lastError: "Slack answered 500" }],
        },
      ],
      failed: [{ notificationId: "n-1", title: "[web-1] 심각: CPU 97.2%", receiver: "team", error: "Slack answered 404", at: AT - 7_200_000 }],
    },
    problems: [],
    statsSource: { cgroup: 3, cgroupVersion: 2, api: 0, apiReasons: [], at: 0 },
  });

  it("writes its words in Korean, times and durations too", () => {
    const text = statusText(view(), ko);
    const lines = text.split("\n");
    expect(lines[0]).toBe("web-1: 마지막 점검 1분 30초 전 (2026-12-01 15:03 KST)");
    expect(lines[2]).toMatch(/^알림\s+라벨\s+값\s+임계값\s+상태\s+시작$/);
    expect(lines[3]).toMatch(/^host_disk\s+mount=\/data\s+97\.2%\s+95\s+심각 발생\s+1시간 전$/);
    expect(text).toContain("\n전달 대기 중인 알림 1건:\n  복구 host_cpu → oncall, 3회 시도, 2분 후 재시도\n    Slack answered 500\n");
    expect(text).toContain("\n전달하지 못한 알림 1건:\n  [web-1] 심각: CPU 97.2% → team, 2시간 전\n");
    expect(text).toContain("\n컨테이너 통계: cgroup 파일에서 읽음 (v2)\n");
    expect(text.replace(/Slack answered \d+|host_\w+|mount=\S+/g, "")).not.toMatch(
      /\b(ago|last check|attempt|next in|waiting|delivered|resolved|FIRING|ALERT|SINCE|container stats)\b/,
    );
  });

  it("is what it always was in English", () => {
    const text = statusText(view(), en);
    expect(text.split("\n")[0]).toBe("web-1: last check 1m 30s ago (2026-12-01T06:03:00.000Z)");
    expect(text).toContain("\n1 notification(s) waiting to be delivered:\n  resolved host_cpu → oncall, 3 attempt(s), next in 2m\n");
    expect(text).toContain("FIRING critical  1h ago");
  });
});
