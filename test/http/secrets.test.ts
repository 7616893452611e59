/**
 * No secret leaves the server: a configured webhook URL (and its parts) and
 * the HTTP token are masked in every answer, page and log line, wherever
 * machine text carries them (a receiver's answer quoting its URL, a
 * container's log, a comment, a parameter quoted back in a 400).
 */
import { afterEach, beforeEach, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { setLogSink } from "../../src/log.js";
import { buildReceivers } from "../../src/notify/registry.js";
import { sampleNotification } from "../support/sample-notification.js";
import { CPU_ONLY, JSON_HEADERS, type Rig, startRig, T0, TOKEN } from "./rig.js";

const WEBHOOK = "https://alerts.example.com/hooks/Zq8vT3kLmN0pXr7s?key=k3yV4lu3-9f8e7d";
const HOOK_PART = "Zq8vT3kLmN0pXr7s";

let rig: Rig | null = null;
let logs: string[] = [];
beforeEach(() => {
  logs = [];
  setLogSink((l) => logs.push(l));
});
afterEach(async () => {
  await rig?.close();
  rig = null;
  setLogSink(() => undefined);
});

it("a webhook URL and the token appear in no answer, page or log line", async () => {
  rig = await startRig({ yaml: `${CPU_ONLY}\nnotify:\n  webhooks:\n    - name: pager\n      url: ${WEBHOOK}\n` });
  // As `lookout run` does (cli/context.ts): building the receivers registers their secrets.
  buildReceivers(loadConfig({ configPath: `${rig.dir}/lookout.yaml`, dataDir: `${rig.dir}/data`, env: {} }));
  const r = rig;
  const outbox = r.agent.outbox;
  outbox.enqueue(sampleNotification({ id: "n-1" }), ["pager"], T0);
  outbox.enqueue(sampleNotification({ id: "n-2" }), ["pager"], T0);
  const [first] = outbox.queueOf("pager");
  outbox.retryAt([first!], T0 + 60_000, `POST ${WEBHOOK} answered 500`);
  outbox.giveUp([outbox.queueOf("pager")[1]!], "pager", `404 Cannot POST /hooks/${HOOK_PART}`, T0);
  r.docker.logs.set("shop-web-1", [`connecting to ${WEBHOOK}`, `token=${TOKEN}`]);
  await r.cycle(T0);
  await r.request("POST", "/api/v1/silences", {
    headers: JSON_HEADERS,
    body: JSON.stringify({ matchers: ["container=db"], duration: "1h", comment: `pasted ${TOKEN} by mistake` }),
  });

  const answers = await Promise.all(
    [
      "/api/v1/status",
      "/api/v1/containers",
      "/api/v1/containers/shop-web-1/logs",
      "/api/v1/alerts",
      `/api/v1/events?from=${T0 - 3600_000}&to=${Date.now() + 3600_000}`,
      `/api/v1/notifications?from=${T0 - 3600_000}&to=${Date.now() + 3600_000}`,
      "/api/v1/silences",
      `/api/v1/history?metric=${TOKEN}`,
      `/api/v1/events?kind=${encodeURIComponent(WEBHOOK)}`,
      "/healthz",
    ].map((p) => r.request("GET", p)),
  );
  const login = await r.request("GET", `/login?next=/${TOKEN}`, { token: null });
  const wrongLogin = await r.request("POST", "/login", { token: null, headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: `token=x&next=/${WEBHOOK}` });
  const texts = [...answers, login, wrongLogin].map((a) => a.text + JSON.stringify(a.headers));
  // The answers did carry the masked forms: the text was there, and hidden.
  expect(texts.join("\n")).toContain("****");
  expect(answers[2]!.json.lines).toHaveLength(2);
  for (const t of [...texts, ...logs]) {
    expect(t).not.toContain(TOKEN);
    expect(t).not.toContain(HOOK_PART);
    expect(t).not.toContain("k3yV4lu3-9f8e7d");
  }
});
