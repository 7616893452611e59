/**
 * The log's own sentences speak the process's language (`processMessages()`),
 * like the rest of the CLI's output; the fields' names, the level and the
 * timestamp stay as scripts read them. English stays word for word what it was
 * (test/browser and test/http/cli.test.ts match English log lines).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { setProcessLocale } from "../../src/i18n/current.js";
import { en } from "../../src/i18n/en.js";
import { koCatalogue } from "../../src/i18n/ko.js";
import { setLogSink } from "../../src/log.js";
import { buildFailure } from "../../src/notify/notifier.js";
import { historyRecorder } from "../../src/pipeline/record.js";

const ko = koCatalogue();

let lines: string[] = [];
beforeEach(() => {
  lines = [];
  setLogSink((line) => lines.push(line));
});
afterEach(() => {
  setProcessLocale(undefined);
  setLogSink((line) => process.stderr.write(line + "\n"));
});

/** What follows the timestamp and the level. */
const said = (line: string) => line.replace(/^\S+ [A-Z]+ +/, "");

const failingJournal = () => ({
  record: () => {
    throw new Error("disk I/O error");
  },
});

describe("the log's sentences", () => {
  it("are Korean when the process speaks Korean, fields' names English", () => {
    setProcessLocale("ko");
    buildFailure("Slack message", "team", [], new Error("boom"));
    historyRecorder(failingJournal)(0, [], []);
    expect(lines.map(said)).toEqual([
      "Slack message 생성 실패. Lookout 버그이니 제보해 주세요 receiver=team notifications= error=boom",
      '이번 점검을 기록에 남기지 못했습니다. 알림에는 영향이 없습니다 error="disk I/O error"',
    ]);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\S+Z ERROR /);
    for (const line of lines) expect(said(line)).not.toMatch(/could not|please report|alerts are not affected/);
  });

  it("stay English by default, word for word", () => {
    buildFailure("Slack message", "team", [], new Error("boom"));
    historyRecorder(failingJournal)(0, [], []);
    expect(lines.map(said)).toEqual([
      "could not build the Slack message; this is a Lookout bug, please report it receiver=team notifications= error=boom",
      'could not record this check in the history; alerts are not affected error="disk I/O error"',
    ]);
  });

  it("are all written in Korean in the Korean catalogue", () => {
    const keys = Object.keys(en).filter((k) => k.startsWith("log.") || k.startsWith("api.")) as (keyof typeof en)[];
    expect(keys.length).toBeGreaterThan(100);
    for (const key of keys) {
      if (key === "api.or") continue;
      expect(ko[key], key).toMatch(/[가-힣]/);
      expect(ko[key], key).not.toBe(en[key]);
    }
    expect(ko["log.delivered"]).toBe("알림 전송함");
    expect(ko["log.docker.streamLost"]).toBe("docker: 이벤트 스트림이 끊겨 다시 연결합니다");
    expect(ko["log.http.listening"]).toBe("http: 대시보드와 API 대기 중");
  });
});
