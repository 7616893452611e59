/**
 * Errors in Korean, as `lookout` prints them and the log and the API show them. Receivers' answers in Korean: with the process speaking Korean (the config's
 * `locale: ko`), what `lookout test-notify`, the log and the API show of an
 * answer is Korean, with the receiver's name, address and codes as they are.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { errorText } from "../../src/cli/failure.js";
import { buildProgram, usageLine } from "../../src/cli/program.js";
import { toDockerError } from "../../src/collect/docker/engine.js";
import { ConfigError, describeError, StorageError } from "../../src/errors.js";
import { setProcessLocale } from "../../src/i18n/current.js";
import { messages } from "../../src/i18n/messages.js";
import { AGENT_RETRY, ONE_SHOT_RETRY, resultFromNoAnswer, serviceNoAnswerWording } from "../../src/notify/http-answers.js";
import { serviceAnswerWording } from "../../src/notify/service-answers.js";
import { resultFromError, resultFromResponse } from "../../src/notify/slack/answers.js";
import { webhookResultFromResponse } from "../../src/notify/webhook/answers.js";
import { storageErrorFrom } from "../../src/store/transactions.js";

const TARGET = "https://hooks.slack.com/services/T…/B…/****";
/** English words of the answers' sentences that must not be left in a Korean one. */
const ENGLISH = /\b(refused|will try again|Check|Retrying|answer(ed)?|could not|did not|the message|the webhook|rate-limiting|Delivered)\b/;

function withCode(code: string): Error {
  return new TypeError("fetch failed", { cause: Object.assign(new Error(`connect ${code} 1.2.3.4:443`), { code }) });
}

describe("receivers' answers in Korean", () => {
  beforeEach(() => setProcessLocale("ko"));
  afterEach(() => setProcessLocale(undefined));

  it("words Slack's answers and codes in Korean", () => {
    const noService = resultFromResponse({ status: 404, body: "no_service" }, TARGET, 0);
    expect(noService.code).toBe("no_service");
    expect(noService.message).toBe(
      `Slack이 ${TARGET} 메시지를 거부했습니다(HTTP 404 no_service): 이 webhook이 존재하지 않습니다(삭제됐거나, 앱이 제거됐거나, URL이 틀림). Slack에서 새 incoming webhook을 만들고(api.slack.com/apps → 앱 → Incoming Webhooks) 그 URL을 notify.slack webhook_url에 넣으세요.`,
    );
    const limited = resultFromResponse({ status: 429, body: "rate_limited", retryAfter: "90" }, TARGET, 0);
    expect(limited.message).toContain("Lookout이 1분 30초 후 다시 시도합니다.");
    const delivered = resultFromResponse({ status: 200, body: "ok" }, TARGET, 0);
    expect(delivered.message).toBe(`Slack(${TARGET})으로 전송했습니다.`);
    const oneShot = resultFromResponse({ status: 503, body: "" }, TARGET, 0, ONE_SHOT_RETRY);
    expect(oneShot.message).toBe(
      `Slack 쪽 문제입니다(${TARGET}, HTTP 503, 빈 응답). 일시적인 문제입니다. 1분쯤 뒤 lookout test-notify를 다시 실행하세요. 계속되지 않으면 조치할 것은 없습니다. status.slack.com을 확인하세요.`,
    );
    for (const r of [noService, limited, delivered, oneShot]) expect(r.message, r.message).not.toMatch(ENGLISH);
  });

  it("words requests without an answer in Korean, the time limit in Korean units", () => {
    const slack = resultFromError(new DOMException("timed out", "TimeoutError"), TARGET, { timeoutMs: 30_000 });
    expect(slack).toMatchObject({ code: "timeout", timedOut: true, retryable: true });
    expect(slack.message).toBe(`Slack 응답 없음 (30초 동안) (${TARGET}). Lookout이 다시 시도합니다. 계속되면 이 서버의 인터넷 연결, 방화벽, 프록시를 확인하세요.`);
    const hook = resultFromNoAnswer(withCode("ECONNREFUSED"), serviceNoAnswerWording("http://127.0.0.1:1/", { what: "webhook pager", key: "notify.webhooks[0]" }));
    expect(hook.message).toBe(
      "webhook pager(http://127.0.0.1:1/) 연결이 거부되었습니다(ECONNREFUSED). Lookout이 다시 시도합니다. 그 주소의 서비스가 실행 중이고 해당 포트에서 대기하는지, notify.webhooks[0].url의 포트를 확인하세요.",
    );
    for (const r of [slack, hook]) expect(r.message, r.message).not.toMatch(ENGLISH);
  });

  it("words a webhook's and a push service's answers in Korean", () => {
    const hook = webhookResultFromResponse(
      { status: 401, body: "" },
      { name: "pager", target: "https://pager.example/****", headerNames: ["Authorization"], key: "notify.webhooks[0]" },
      0,
    );
    expect(hook.message).toBe(
      'webhook pager(https://pager.example/****)에서 알림을 거부했습니다: 인증 실패(HTTP 401, 빈 응답). 재시도해도 소용없습니다. notify.webhooks[0]의 "Authorization" 헤더(headers 또는 header_files)를 확인하세요. 토큰이 틀렸거나 만료·폐기됐을 수 있고, 값을 가져오는 환경 변수나 파일에 다른 값이 들어 있을 수 있습니다.',
    );
    const wording = serviceAnswerWording({ service: "ntfy", name: "phone", target: "https://ntfy.sh/****", key: "notify.ntfy[0]", auth: "AUTH", what: "message" }, ["error"]);
    expect(wording.delivered).toBe("ntfy phone(https://ntfy.sh/****)에서 메시지를 받았습니다.");
    const facts = { status: 500, quoted: '"{"error":"boom"}"', again: AGENT_RETRY(), retry: AGENT_RETRY };
    expect(wording.words.server_error(facts)).toBe(
      'ntfy phone(https://ntfy.sh/****)에서 메시지를 받지 못했습니다(HTTP 500, ntfy 응답: "boom"). Lookout이 다시 시도합니다. 그동안 메시지는 Lookout 발신함에서 대기합니다.',
    );
  });

  it("prints errors in Korean: the frame, an error given as a key, and a config error in its own language", () => {
    expect(errorText(new Error("boom"))).toBe("lookout: 내부 오류: boom\n");
    const storage = new StorageError({ key: "config.yaml.aliases" });
    expect(describeError(storage)).toMatch(/^YAML 별칭/);
    expect(storage.userMessage).toMatch(/^the file repeats YAML aliases/);
    // Problems written in English (a receiver's own) keep an English frame: a line never mixes languages.
    expect(errorText(new ConfigError(["notify.x: bad"], "/etc/lookout/lookout.yaml"))).toBe("lookout: /etc/lookout/lookout.yaml: invalid configuration\n  notify.x: bad\n");
    expect(errorText(new ConfigError(["notify.x: 잘못됨"], "built-in defaults", "ko"))).toBe("lookout: 기본 설정: 설정 오류\n  notify.x: 잘못됨\n");
  });
});

describe("Docker errors in Korean", () => {
  afterEach(() => setProcessLocale(undefined));

  it("says why Docker cannot be used in the process's language, English in userMessage", () => {
    const err = toDockerError(Object.assign(new Error("connect EACCES /var/run/docker.sock"), { code: "EACCES" }), { socketPath: "/var/run/docker.sock" });
    expect(err.kind).toBe("permission");
    expect(err.userMessage).toMatch(/^permission denied on the Docker socket \/var\/run\/docker\.sock: add the user/);
    expect(describeError(err)).toBe(err.userMessage);
    setProcessLocale("ko");
    expect(describeError(err)).toBe(
      "Docker 소켓 /var/run/docker.sock 권한 거부. Lookout 실행 사용자를 docker 그룹에 추가하거나(usermod -aG docker USER 후 Lookout 재시작), root로 실행하거나, 읽기 전용 소켓 프록시 뒤에서 실행하세요",
    );
    expect(errorText(err)).toBe(`lookout: ${describeError(err)}\n`);
  });
});

describe("storage errors in Korean", () => {
  afterEach(() => setProcessLocale(undefined));

  it("says what is wrong with the data directory in the process's language", () => {
    const err = storageErrorFrom(Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" }), "/var/lib/lookout/lookout.db");
    expect(err.userMessage).toBe(
      "cannot write /var/lib/lookout/lookout.db (SQLITE_FULL): the disk holding the data directory /var/lib/lookout is full; free some space there (df -h /var/lib/lookout), or give Lookout a --data-dir on another disk",
    );
    setProcessLocale("ko");
    expect(errorText(err)).toBe(
      "lookout: /var/lib/lookout/lookout.db에 쓸 수 없습니다(SQLITE_FULL). 데이터 디렉터리 /var/lib/lookout의 디스크가 가득 찼습니다. 공간을 확보하거나(df -h /var/lib/lookout) 다른 디스크의 --data-dir을 지정하세요\n",
    );
  });
});

describe("usage errors in Korean", () => {
  afterEach(() => {
    setProcessLocale(undefined);
    vi.restoreAllMocks();
  });

  it("words commander's usage errors in Korean, and leaves a line it does not know as it was", () => {
    const ko = messages("ko");
    expect(usageLine("error: unknown option '--jsn'", ko)).toBe("오류: 알 수 없는 옵션 '--jsn'");
    expect(usageLine("(Did you mean --json?)", ko)).toBe("(--json의 오타인가요?)");
    expect(usageLine("error: too many arguments for 'check'. Expected 0 arguments but got 1.", ko)).toBe("오류: 'check'의 인자가 너무 많습니다. 0개를 받는데 1개가 주어졌습니다.");
    expect(usageLine("error: something else", ko)).toBe("error: something else");
  });

  it("writes them in Korean from the command line's parser when the process speaks Korean", async () => {
    setProcessLocale("ko");
    const written: string[] = [];
    vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    await expect(buildProgram().parseAsync(["node", "lookout", "check", "--jsn"])).rejects.toThrow();
    expect(written.join("")).toBe("오류: 알 수 없는 옵션 '--jsn'\n(--json의 오타인가요?)\n");
  });
});
