/**
 * The README's pictures of Slack messages (docs/screenshots/slack-*.png), made
 * from Lookout's own payloads so that they cannot drift from what it sends:
 *
 *   npm run build && node scripts/slack-picture.mjs
 *
 * Each case goes through the built code (dist/) as a cycle does: samples →
 * `evaluate` with the config's locale → `step` (the alert lifecycle, over
 * a few cycles, so a CPU alert fires after its `for` and resolves with its
 * peak) → the `Enricher` (facts, top processes, last log lines) →
 * `buildSlackMessage`. The samples are made up (a busy host, a container that
 * lost its database); everything after them is Lookout's. Each payload is
 * drawn by scripts/slack-html.mjs the way Slack's desktop client lays it out
 * (an approximation of Slack's look, not a screenshot of Slack) and
 * screenshotted in Debian's chromium with playwright-core, as the dashboard's
 * pictures are (test/browser/browser.ts).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { slackMessageHtml, slackPageHtml } from "./slack-html.mjs";

const ROOT = resolve(import.meta.dirname, "..");
const OUT = join(ROOT, "docs", "screenshots");
const CHROMIUM = "/usr/bin/chromium";
/** Past this a picture is too heavy for a README (GitHub shows it scaled down anyway). */
const MAX_BYTES = 250_000;

/** Stops with what to do: a sentence, no stack. */
function fail(message) {
  console.error(`slack-picture: ${message}`);
  process.exit(1);
}

if (!existsSync(join(ROOT, "dist/notify/slack/message.js"))) fail("dist/ is missing: run npm run build first");
if (!existsSync(CHROMIUM)) fail(`${CHROMIUM} is missing: run scripts/install-test-deps.sh as root (it installs Debian's chromium)`);
// Without them chromium draws Korean as empty boxes and Latin in another face: the pictures would change with the machine.
const fonts = (args) => {
  try {
    return execFileSync("fc-list", args, { encoding: "utf8" });
  } catch {
    return "";
  }
};
if (!/Lato/.test(fonts([":family=Lato", "family"])) || fonts([":lang=ko", "family"]).trim() === "") {
  fail("the Lato and Korean fonts are missing: apt-get install fonts-lato fonts-nanum");
}

const dist = (path) => import(pathToFileURL(join(ROOT, "dist", path)).href);
const { configSchema } = await dist("config/schema.js");
const { evaluate } = await dist("evaluate/evaluate.js");
const { hostRules } = await dist("evaluate/host-rules.js");
const { containerRules } = await dist("evaluate/container-rules.js");
const { step } = await dist("alert/state.js");
const { Enricher } = await dist("pipeline/enrich.js");
const { buildSlackMessage } = await dist("notify/slack/message.js");
const { dashboardLinks } = await dist("notify/links.js");
const { sampleOf } = await dist("model/sample.js");
const { HOST_CPU, CONTAINER_CRASHED } = await dist("model/metrics.js");

const HOST = "web-1";
/** Fixed times and ids, so that the pictures change only when Lookout's messages do. */
const T = Date.UTC(2026, 10, 30, 14, 7, 0);
const links = dashboardLinks({ enabled: true, public_url: "https://lookout.example.com/" });

/** A top-like list (100% = one core) for the Enricher, as collect/host/processes.ts reads it from /proc. */
const busyHost = async (by) =>
  by === "cpu"
    ? [
        { pid: 48211, name: "node", cpuPercent: 612.4, memoryPercent: 9.8, rssBytes: 1_610_612_736 },
        { pid: 48390, name: "node", cpuPercent: 101.9, memoryPercent: 3.1, rssBytes: 509_607_936 },
        { pid: 1734, name: "postgres", cpuPercent: 38.7, memoryPercent: 6.2, rssBytes: 1_019_215_872 },
        { pid: 912, name: "dockerd", cpuPercent: 6.1, memoryPercent: 0.9, rssBytes: 147_849_216 },
        { pid: 48102, name: "containerd-shim", cpuPercent: 2.0, memoryPercent: 0.1, rssBytes: 14_680_064 },
      ]
    : [];

/**
 * Runs the cycles `[at, samples]` as the pipeline does (evaluate, step,
 * enrich) and returns every notification made, each with its time.
 */
async function cycles(locale, list) {
  const config = configSchema.parse({ locale });
  let alerts = [];
  const out = [];
  for (const [at, samples] of list) {
    const evaluation = evaluate(samples, [...hostRules, ...containerRules], config, HOST);
    const result = step(alerts, evaluation.observations, at, {
      repeatIntervalMs: config.notify.repeat_interval,
      sendResolved: config.notify.send_resolved,
      evaluated: evaluation.evaluated,
    });
    alerts = result.alerts;
    const enricher = new Enricher({ hostname: HOST, evaluation, samples, topProcesses: busyHost });
    out.push(...(await enricher.notifications(result.events, [], at)));
  }
  return out;
}

const cpu = (value, split) => sampleOf(HOST_CPU, value, { ...split, windowMs: 10_000 });

/** A CPU critical over its `for` (1m), its peak ten minutes later, and its end. */
async function cpuAlert() {
  const ns = await cycles("en", [
    [T - 60_000, [cpu(96.2, { user: 86.9, system: 8.4, iowait: 0.7, steal: 0.2 })]],
    [T, [cpu(97.4, { user: 88.1, system: 8.2, iowait: 0.9, steal: 0.2 })]],
    [T + 10 * 60_000, [cpu(99.1, { user: 90.3, system: 8.1, iowait: 0.5, steal: 0.2 })]],
    [T + 24 * 60_000, [cpu(41.5, { user: 30.1, system: 10.0, iowait: 1.2, steal: 0.2 })]],
  ]);
  const firing = ns.find((n) => n.kind === "firing");
  const resolved = ns.find((n) => n.kind === "resolved");
  if (!firing || !resolved) fail("the CPU cycles made no firing or no resolved notification: has host.cpu's default changed? Adjust cpuAlert()");
  return { firing: { ...firing, id: "4f1d2c8a-6b0e-4a57-9e3b-2d7c5a1e9f60" }, resolved: { ...resolved, id: "9b3e7d21-0c4f-4e8a-b6d5-71a2f0c3e8d4" } };
}

/** A container that lost its database: exit code 1 (the rule says what it means, in the picture's language), its last log lines. */
async function crash(locale) {
  const at = T + 3 * 3_600_000;
  const sample = sampleOf(
    CONTAINER_CRASHED,
    1,
    {
      exitCode: 1,
      ranForMs: 47_000,
      restartCount: 4,
      restartPolicy: "on-failure",
      error: "",
      at: at - 2_000,
      logs: [
        "2026-11-30T17:06:12.480Z info  api listening on :8080",
        "2026-11-30T17:06:58.104Z error db: connect ECONNREFUSED 10.0.3.7:5432",
        "    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1611:16)",
        "2026-11-30T17:06:58.106Z fatal giving up after 5 attempts, exiting",
      ],
      reconciled: false,
      dockerOomFlag: false,
      removed: false,
      status: "restarting",
      writesTo: [],
    },
    { container: "api", image: "shop/api:2.3.1", compose_project: "shop", compose_service: "api" },
    {},
  );
  const [n] = await cycles(locale, [[at, [sample]]]);
  if (!n) fail("the crash made no notification: has containers.crashed's default changed? Adjust crash()");
  return { ...n, id: "c27a5e90-1d3b-4f68-a4e2-8f0b6d9c3a15" };
}

/** How a reader of each language sees times: English in UTC, Korean in Seoul. */
const READERS = {
  en: { locale: "en-US", timeZone: "UTC", lang: "en", channel: "alerts" },
  ko: { locale: "ko-KR", timeZone: "Asia/Seoul", lang: "ko", channel: "장애-알림" },
};

const zone = process.env.TZ;
// Korean messages write the host's times with its zone (`m.time`): a host in Seoul.
process.env.TZ = "Asia/Seoul";
const crashKo = await crash("ko");
process.env.TZ = "UTC";
const { firing, resolved } = await cpuAlert();
const crashEn = await crash("en");
if (zone === undefined) delete process.env.TZ;
else process.env.TZ = zone;

const pictures = [
  { file: "slack-cpu.png", reader: READERS.en, n: firing, payload: buildSlackMessage(firing) },
  { file: "slack-crash.png", reader: READERS.en, n: crashEn, payload: buildSlackMessage(crashEn, { links }) },
  { file: "slack-resolved.png", reader: READERS.en, n: resolved, payload: buildSlackMessage(resolved) },
  { file: "slack-crash-ko.png", reader: READERS.ko, n: crashKo, payload: buildSlackMessage(crashKo, { links }) },
];

mkdirSync(OUT, { recursive: true });
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"], timeout: 30_000 });
try {
  const page = await browser.newPage({ viewport: { width: 700, height: 400 }, deviceScaleFactor: 2, colorScheme: "light", locale: "en-US" });
  for (const p of pictures) {
    const { locale, timeZone, lang, channel } = p.reader;
    const message = slackMessageHtml(p.payload, { at: p.n.at, locale, timeZone });
    await page.setContent(slackPageHtml([message], { lang, channel }), { waitUntil: "load" });
    await page.evaluate(() => document.fonts.ready);
    const path = join(OUT, p.file);
    await page.locator(".frame").screenshot({ path });
    const bytes = statSync(path).size;
    console.log(`${relative(ROOT, path)}: ${Math.round(bytes / 1000)} kB`);
    if (bytes > MAX_BYTES) fail(`${p.file} is ${bytes} bytes, over ${MAX_BYTES}: make the picture smaller (deviceScaleFactor, or fewer log lines)`);
  }
} finally {
  await browser.close();
}
