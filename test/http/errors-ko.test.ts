/**
 * The API's refusals (`{ "error": "…" }`) speak the agent's `locale`: the
 * dashboard shows them to the user. The JSON key and the status stay as they
 * are; English stays what it was.
 */
import { afterEach, describe, expect, it } from "vitest";
import { HttpError, notFound } from "../../src/http/respond.js";
import { messages } from "../../src/i18n/messages.js";
import { CPU_ONLY, JSON_HEADERS, type Rig, startRig } from "./rig.js";

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/** English words of the refusals converted here: none may be left in a Korean answer. */
const ENGLISH = /\b(expected|no such|is not allowed|use |sign in|wrong|give |unknown field|got |not valid|at most|the body)\b/;

describe("the API's errors in Korean (locale: ko)", () => {
  it("are Korean for a missing path, a wrong method, a bad body, a bad silence and a wrong token", async () => {
    rig = await startRig({ yaml: `locale: ko\n${CPU_ONLY}` });
    const answers = [
      [await rig.request("GET", "/api/v1/nope"), 404, "없는 경로입니다. API는 /api/v1/ 아래에 있습니다 (docs/api.md)"],
      [await rig.request("DELETE", "/api/v1/status"), 405, "여기서는 DELETE 요청을 받지 않습니다. GET 요청으로 보내세요"],
      [await rig.request("POST", "/api/v1/silences", { headers: JSON_HEADERS, body: "{" }), 400, "body: 올바른 JSON이 아닙니다"],
      [
        await rig.request("POST", "/api/v1/silences", { headers: JSON_HEADERS, body: JSON.stringify({ matchers: ["container=db-1"], duration: "2h", why: "x" }) }),
        400,
        '"why": 모르는 필드입니다. 필드는 matchers, duration 또는 ends_at, comment, created_by입니다',
      ],
      [await rig.request("POST", "/api/v1/silences", { headers: JSON_HEADERS, body: JSON.stringify({ matchers: ["db-1"], duration: "2h" }) }), 400, undefined],
      [await rig.request("GET", "/api/v1/status", { token: "nope" }), 401, "토큰이 맞지 않습니다"],
      [await rig.request("GET", "/api/v1/history?metric=host_cpu&step=10ms"), 400, 'step: 1s 이상의 기간이어야 합니다(30s, 5m, 60000 등). 받은 값: "10ms"'],
    ] as const;
    for (const [answer, status, text] of answers) {
      expect(answer.status).toBe(status);
      const error = (answer.json as { error: string }).error;
      expect(Object.keys(answer.json as object)).toEqual(["error"]);
      if (text !== undefined) expect(error).toBe(text);
      expect(error).toMatch(/[가-힣]/);
      expect(error).not.toMatch(ENGLISH);
    }
    // A matcher's own problem is worded in Korean inside the Korean frame.
    const matcher = (answers[4][0].json as { error: string }).error;
    expect(matcher).toMatch(/^matchers\[0\]: .*[가-힣].*\. 받은 값: "db-1"$/);
  });

  it("stay English by default, word for word", async () => {
    rig = await startRig();
    expect((await rig.request("GET", "/api/v1/nope")).json).toEqual({ error: "no such path; the API is under /api/v1/ (docs/api.md)" });
    expect((await rig.request("DELETE", "/api/v1/status")).json).toEqual({ error: "DELETE is not allowed here; use GET" });
    expect((await rig.request("GET", "/api/v1/status", { token: "nope" })).json).toEqual({ error: "wrong token" });
  });
});

describe("HttpError", () => {
  it("keeps its English reason for the log and renders in any language", () => {
    const e = notFound();
    expect(e.reason).toBe("no such path; the API is under /api/v1/ (docs/api.md)");
    expect(e.message).toBe(e.reason);
    expect(e.reasonIn(messages("ko"))).toBe("없는 경로입니다. API는 /api/v1/ 아래에 있습니다 (docs/api.md)");
    const methods = new HttpError(405, (m) => m.t("api.methodNotAllowed", { method: "PUT", methods: ["GET", "POST"].join(m.t("api.or")) }));
    expect(methods.reason).toBe("PUT is not allowed here; use GET or POST");
    expect(methods.reasonIn(messages("ko"))).toBe("여기서는 PUT 요청을 받지 않습니다. GET 또는 POST 요청으로 보내세요");
    expect(new HttpError(400, "plain").reasonIn(messages("ko"))).toBe("plain");
  });
});
