/**
 * Who may use the server: the bearer token, the sign-in form and its session
 * cookie, wrong tokens (401, constant-time compare) and their slow-down (429
 * with Retry-After, bounded memory), changes refused unless CSRF-safe, and an
 * open server on loopback without a token. Real server on 127.0.0.1, clock
 * moved by the test.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cookieValue, FailedAttempts, Sessions, tokenMatches } from "../../src/http/auth.js";
import { localPath } from "../../src/http/login.js";
import { JSON_HEADERS, type Rig, startRig, T0, TOKEN } from "./rig.js";

let rig: Rig | null = null;
afterEach(async () => {
  await rig?.close();
  rig = null;
});

const form = (fields: Record<string, string>) => ({
  headers: { "Content-Type": "application/x-www-form-urlencoded" },
  body: new URLSearchParams(fields).toString(),
  token: null,
});

async function signIn(r: Rig, extra: Record<string, string> = {}): Promise<{ cookie: string; setCookie: string; location: string | undefined }> {
  const a = await r.request("POST", "/login", { ...form({ token: TOKEN, next: "/api/v1/status" }), headers: { ...form({}).headers, ...extra } });
  expect(a.status).toBe(303);
  const setCookie = String(a.headers["set-cookie"]);
  return { cookie: setCookie.split(";")[0]!, setCookie, location: a.headers.location };
}

describe("the token", () => {
  it("opens the API as a bearer header; none is a 401 that says how to sign in; a wrong one is a 401", async () => {
    rig = await startRig();
    const ok = await rig.request("GET", "/api/v1/status");
    expect(ok.status).toBe(200);
    expect(ok.json.hostname).toBe("web-1");

    const none = await rig.request("GET", "/api/v1/status", { token: null });
    expect(none.status).toBe(401);
    expect(none.headers["www-authenticate"]).toMatch(/^Bearer/);
    expect(none.json.error).toMatch(/Authorization: Bearer/);

    const wrong = await rig.request("GET", "/api/v1/status", { token: "not-the-token-at-all" });
    expect(wrong.status).toBe(401);
    expect(wrong.json).toEqual({ error: "wrong token" });
    const malformed = await rig.request("GET", "/api/v1/status", { token: null, headers: { Authorization: "Basic abc" } });
    expect(malformed.status).toBe(401);
  });

  it("is compared whole: a prefix, a longer text or another case is wrong", () => {
    expect(tokenMatches(TOKEN, TOKEN)).toBe(true);
    for (const other of [TOKEN.slice(0, -1), `${TOKEN}x`, TOKEN.toUpperCase(), ""]) expect(tokenMatches(TOKEN, other)).toBe(false);
  });

  it("slows down an address after 5 wrong tokens: 429 with Retry-After, even for the right one, until the wait is over", async () => {
    rig = await startRig();
    for (let i = 0; i < 5; i++) expect((await rig.request("GET", "/api/v1/status", { token: `wrong-token-${i}-xxxxxxxx` })).status).toBe(401);
    // The 5th failure starts a 1 s wait.
    const slowed = await rig.request("GET", "/api/v1/status");
    expect(slowed.status).toBe(429);
    expect(slowed.headers["retry-after"]).toBe("1");
    expect(slowed.json.error).toMatch(/too many wrong tokens/);
    rig.setNow(T0 + 1000);
    expect((await rig.request("GET", "/api/v1/status", { token: "wrong-again-xxxxxxxxxx" })).status).toBe(401);
    // Each further failure doubles the wait.
    const again = await rig.request("GET", "/api/v1/status");
    expect(again.status).toBe(429);
    expect(again.headers["retry-after"]).toBe("2");
    rig.setNow(T0 + 3000);
    expect((await rig.request("GET", "/api/v1/status")).status).toBe(200);
    // The right token clears the count.
    expect((await rig.request("GET", "/api/v1/status", { token: "wrong-once-more-xxxxxx" })).status).toBe(401);
    expect((await rig.request("GET", "/api/v1/status")).status).toBe(200);
  });

  it("slows the sign-in form down too", async () => {
    rig = await startRig();
    for (let i = 0; i < 5; i++) expect((await rig.request("POST", "/login", form({ token: `wrong-${i}` }))).status).toBe(401);
    const slowed = await rig.request("POST", "/login", form({ token: TOKEN }));
    expect(slowed.status).toBe(429);
    expect(slowed.headers["retry-after"]).toBe("1");
    expect(slowed.text).toContain("Too many wrong tokens");
  });

  it("keeps the failures of at most 10 000 addresses, forgets them 15 minutes after the last, and waits at most 5 minutes", () => {
    const f = new FailedAttempts();
    for (let i = 0; i < 10_050; i++) f.failed(`10.0.${i >> 8}.${i & 255}`, T0);
    expect(f.size).toBe(10_000);
    for (let i = 0; i < 40; i++) f.failed("192.0.2.1", T0);
    expect(f.waitFor("192.0.2.1", T0)).toBe(5 * 60_000);
    expect(f.waitFor("192.0.2.1", T0 + 15 * 60_000)).toBe(0);
  });
});

describe("the sign-in form", () => {
  it("is a page without script that posts the token; the cookie holds a random id, HttpOnly and SameSite=Strict, and opens the API", async () => {
    rig = await startRig();
    const page = await rig.request("GET", "/login?next=/containers", { token: null });
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toMatch(/^text\/html/);
    expect(page.headers["content-security-policy"]).toContain("default-src 'self'");
    expect(page.text).toContain('<form method="post" action="/login">');
    expect(page.text).toContain('value="/containers"');
    expect(page.text).not.toContain("<script");

    const wrong = await rig.request("POST", "/login", form({ token: "nope" }));
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain("Wrong token.");
    expect(wrong.headers["set-cookie"]).toBeUndefined();

    const { cookie, setCookie, location } = await signIn(rig);
    expect(location).toBe("/api/v1/status");
    expect(setCookie).toMatch(/^lookout_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=604800$/);
    expect(setCookie).not.toContain(TOKEN);
    const ok = await rig.request("GET", "/api/v1/status", { token: null, headers: { Cookie: cookie } });
    expect(ok.status).toBe(200);
    const forged = await rig.request("GET", "/api/v1/status", { token: null, headers: { Cookie: "lookout_session=AAAA" } });
    expect(forged.status).toBe(401);
  });

  it("sets a Secure cookie behind an https proxy, and only sends people to this server's own paths after", async () => {
    rig = await startRig();
    const { setCookie } = await signIn(rig, { "X-Forwarded-Proto": "https" });
    expect(setCookie).toMatch(/; Secure$/);
    const away = await rig.request("POST", "/login", form({ token: TOKEN, next: "//evil.example/x" }));
    expect(away.headers.location).toBe("/");
    expect(localPath("/\\evil.example")).toBe("/");
    expect(localPath("https://evil.example")).toBe("/");
    expect(localPath("/containers?x=1")).toBe("/containers?x=1");
  });

  it("logout ends the session and clears the cookie", async () => {
    rig = await startRig();
    const { cookie } = await signIn(rig);
    const out = await rig.request("POST", "/logout", { token: null, headers: { Cookie: cookie } });
    expect(out.status).toBe(303);
    expect(out.headers.location).toBe("/login");
    expect(String(out.headers["set-cookie"])).toMatch(/^lookout_session=; .*Max-Age=0/);
    expect((await rig.request("GET", "/api/v1/status", { token: null, headers: { Cookie: cookie } })).status).toBe(401);
  });

  it("a session ends after 7 days; the oldest goes when 1000 are open", () => {
    const s = new Sessions();
    const first = s.open(T0);
    expect(s.valid(first, T0 + 7 * 24 * 3600_000 - 1)).toBe(true);
    expect(s.valid(first, T0 + 7 * 24 * 3600_000)).toBe(false);
    const a = s.open(T0);
    for (let i = 0; i < 1000; i++) s.open(T0);
    expect(s.size).toBe(1000);
    expect(s.valid(a, T0)).toBe(false);
    expect(cookieValue("a=1; lookout_session=xyz; b=2", "lookout_session")).toBe("xyz");
  });

  it("a page without a session goes to the sign-in form; /healthz is always open", async () => {
    rig = await startRig();
    const page = await rig.request("GET", "/", { token: null });
    expect(page.status).toBe(303);
    expect(page.headers.location).toBe("/login?next=%2F");
    const health = await rig.request("GET", "/healthz", { token: null });
    expect(health.status).toBe(200);
  });
});

describe("changes", () => {
  const silence = JSON.stringify({ matchers: ["container=db"], duration: "1h" });

  it("need the token even on loopback", async () => {
    rig = await startRig();
    const a = await rig.request("POST", "/api/v1/silences", { token: null, headers: JSON_HEADERS, body: silence });
    expect(a.status).toBe(401);
  });

  it("are refused unless CSRF-safe: a form's content type, a DELETE without X-Lookout-Request, another site's Origin", async () => {
    rig = await startRig();
    const { cookie } = await signIn(rig);
    const asForm = await rig.request("POST", "/api/v1/silences", {
      token: null,
      headers: { Cookie: cookie, "Content-Type": "application/x-www-form-urlencoded" },
      body: "matchers=x",
    });
    expect(asForm.status).toBe(415);
    const asText = await rig.request("POST", "/api/v1/silences", { token: null, headers: { Cookie: cookie, "Content-Type": "text/plain" }, body: silence });
    expect(asText.status).toBe(415);
    const foreign = await rig.request("POST", "/api/v1/silences", { token: null, headers: { Cookie: cookie, ...JSON_HEADERS, Origin: "https://evil.example" }, body: silence });
    expect(foreign.status).toBe(403);
    expect(foreign.json.error).toMatch(/another site/);

    const own = await rig.request("POST", "/api/v1/silences", { token: null, headers: { Cookie: cookie, ...JSON_HEADERS, Origin: `http://127.0.0.1:${rig.port}` }, body: silence });
    expect(own.status).toBe(201);
    const id = own.json.silence.id as string;
    const bare = await rig.request("DELETE", `/api/v1/silences/${id}`, { token: null, headers: { Cookie: cookie } });
    expect(bare.status).toBe(403);
    expect(bare.json.error).toMatch(/X-Lookout-Request: 1/);
    const ended = await rig.request("DELETE", `/api/v1/silences/${id}`, { token: null, headers: { Cookie: cookie, "X-Lookout-Request": "1" } });
    expect(ended.status).toBe(200);
  });
});

describe("without a token, on loopback", () => {
  it("everything is open, and /login leads to the dashboard", async () => {
    rig = await startRig({ token: null });
    expect((await rig.request("GET", "/api/v1/status")).status).toBe(200);
    const added = await rig.request("POST", "/api/v1/silences", { headers: JSON_HEADERS, body: JSON.stringify({ matchers: ["container=db"], duration: "1h" }) });
    expect(added.status).toBe(201);
    const login = await rig.request("GET", "/login");
    expect(login.status).toBe(303);
    expect(login.headers.location).toBe("/");
  });
});
