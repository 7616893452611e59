/**
 * The dashboard follows the agent's `locale`: index.html's `<html lang>` and
 * /api/v1/status's `locale` say it, and the page's catalogue (page/i18n.js)
 * has every key in every language with the same placeholders.
 */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { pageCatalogue, serveDashboardFile, withLang } from "../../src/http/dashboard.js";
import { loginPage } from "../../src/http/login.js";
import { messages } from "../../src/i18n/messages.js";
import { CPU_ONLY, type Rig, startRig } from "./rig.js";

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

describe("the dashboard's language", () => {
  it("is the agent's locale, in <html lang> and in /api/v1/status", async () => {
    rig = await startRig({ yaml: `locale: ko\n${CPU_ONLY}` });
    const page = await rig.request("GET", "/");
    expect(page.status).toBe(200);
    expect(page.text).toContain('<html lang="ko">');
    expect((await rig.request("GET", "/api/v1/status")).json).toMatchObject({ hostname: "web-1", locale: "ko" });
  });

  it("is English by default", async () => {
    rig = await startRig();
    expect((await rig.request("GET", "/")).text).toContain('<html lang="en">');
    expect((await rig.request("GET", "/api/v1/status")).json).toMatchObject({ locale: "en" });
  });
});

describe("the sign-in page and what index.html shows without script", () => {
  const form = (fields: Record<string, string>) => ({
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString(),
    token: null,
  });
  const ENGLISH = ["Sign in", "Lookout on", "Token (", "Wrong token", "Too many wrong tokens"];

  it("are in Korean with locale: ko, the wrong token said in Korean too", async () => {
    rig = await startRig({ yaml: `locale: ko\n${CPU_ONLY}` });
    const page = await rig.request("GET", "/login?next=/containers", { token: null });
    expect(page.status).toBe(200);
    expect(page.text).toContain('<html lang="ko">');
    expect(page.text).toContain("<title>로그인 · Lookout · web-1</title>");
    expect(page.text).toContain("<h1>web-1의 Lookout</h1>");
    expect(page.text).toContain('<label for="token">토큰 (http.auth_token)</label>');
    expect(page.text).toContain('<button type="submit">로그인</button>');
    const wrong = await rig.request("POST", "/login", form({ token: "nope" }));
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('<p class="wrong" role="alert">토큰이 맞지 않습니다.</p>');
    for (const text of [page.text, wrong.text]) for (const word of ENGLISH) expect(text).not.toContain(word);

    const index = await rig.request("GET", "/");
    expect(index.text).toContain("<noscript>Lookout 대시보드를 보려면 JavaScript가 필요합니다.");
    expect(index.text).toContain(">본문으로 건너뛰기</a>");
    expect(index.text).not.toContain("needs JavaScript");
    expect(index.text).not.toContain("Skip to content");
  });

  it("says where the API is in Korean when the dashboard is not installed", async () => {
    rig = await startRig({ yaml: `locale: ko\n${CPU_ONLY}`, pageDir: "/nonexistent/lookout-page" });
    const page = await rig.request("GET", "/");
    expect(page.status).toBe(200);
    expect(page.text).toContain('<html lang="ko">');
    expect(page.text).toContain(
      '<p>이 서버에는 대시보드가 설치되어 있지 않습니다 (/nonexistent/lookout-page 폴더 없음). JSON API는 <a href="/api/v1/status">/api/v1/</a> 아래에서 응답합니다.</p>',
    );
    expect(page.text).not.toContain("not installed");
  });

  it("says how long to wait after too many wrong tokens, in each language", () => {
    expect(loginPage({ next: "/", hostname: "web-1", locale: "ko", refused: { tooMany: 30 } })).toContain("잘못된 토큰을 너무 많이 입력했습니다. 30초 후에 다시 시도하세요.");
    expect(loginPage({ next: "/", hostname: "web-1", refused: { tooMany: 30 } })).toContain("Too many wrong tokens: try again in 30 s.");
  });

  it("stay as they were in English: index.html's own words are the English catalogue's", () => {
    const en = messages("en");
    const page = loginPage({ next: "/x", hostname: "web-1", refused: { wrong: true } });
    expect(page).toContain('<html lang="en">');
    expect(page).toContain("<title>Sign in · Lookout · web-1</title>");
    expect(page).toContain("<h1>Lookout on web-1</h1>");
    expect(page).toContain("Wrong token.");
    const html = readFileSync(new URL("../../src/http/page/index.html", import.meta.url));
    expect(html.toString("utf8")).toContain(`<noscript>${en.t("page.noscript")}</noscript>`);
    expect(html.toString("utf8")).toContain(`>${en.t("page.skip")}</a>`);
    expect(withLang(html, "en").equals(html)).toBe(true);
  });
});

describe("the page's catalogue", () => {
  it("is the dash.* texts of the agent's language, sent as the module page/i18n.js imports", async () => {
    const en = pageCatalogue("en");
    const ko = pageCatalogue("ko");
    expect(Object.keys(en).length).toBeGreaterThan(150);
    expect(Object.keys(ko).sort()).toEqual(Object.keys(en).sort());
    expect(en["nav.overview"]).toBe("Overview");
    expect(ko["nav.overview"]).not.toBe("Overview");
    const sent: { status?: number; headers?: Record<string, unknown>; body?: string } = {};
    const res = {
      writeHead(status: number, headers: Record<string, unknown>) {
        sent.status = status;
        sent.headers = headers;
        return this;
      },
      end(body: Buffer) {
        sent.body = body.toString("utf8");
      },
    };
    expect(serveDashboardFile(res as never, "/nonexistent", "/catalogue.js", "ko")).toBe(true);
    expect(sent.status).toBe(200);
    expect(String(sent.headers?.["Content-Type"])).toMatch(/^text\/javascript/);
    const module = (await import(`data:text/javascript;base64,${Buffer.from(sent.body!).toString("base64")}`)) as { default: Record<string, string> };
    expect(module.default).toEqual(ko);
  });
});
