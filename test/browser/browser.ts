/**
 * Driving the dashboard in Debian's chromium (playwright-core), for the
 * browser test (dashboard.test.ts) and the real-dockerd suite
 * (test/integration/dashboard.suite.ts): launch, watch a page for what must
 * not happen (console errors, CSP refusals among them, uncaught exceptions,
 * failed requests), sign in with the form, save screenshots
 * (`LOOKOUT_UPDATE_SCREENSHOTS=1 npx vitest run test/browser` renews the README's).
 */
import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { CLI } from "../support/cli.js";
import { until } from "../support/wait.js";

export const CHROMIUM = "/usr/bin/chromium";
const ROOT = resolve(import.meta.dirname, "../..");
/** Every screenshot, whole pages: test-output/browser/. The README's (the first screen, on demand): docs/screenshots/. */
export const OUT = join(ROOT, "test-output", "browser");
export const SHOTS = join(ROOT, "docs", "screenshots");

/** Throws, saying what to do, when the built CLI and page or chromium are missing. */
export function checkPrerequisites(): void {
  if (!existsSync(CLI) || !existsSync(join(ROOT, "dist/http/page/index.html"))) throw new Error("the built CLI and page are missing: run npm run build first");
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/install-test-deps.sh as root (it installs Debian's chromium)`);
}

export function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"], timeout: 30_000 });
}

/** The agent's dashboard address, from its log line (it listens on a free port: LOOKOUT_HTTP_LISTEN=127.0.0.1:0). */
export function agentAddress(out: { stderr: string }): Promise<string> {
  return until(
    () => /http: dashboard and API listening.*?(http:\/\/127\.0\.0\.1:\d+)/.exec(out.stderr)?.[1],
    15_000,
    "the agent's HTTP address in its log",
    () => out.stderr,
  );
}

/** What went wrong in the pages it watches; `take()` empties it. Failures a test expects are allowed by URL and status. */
export class Problems {
  readonly seen: string[] = [];
  readonly expected: Array<{ url: RegExp; status: number }> = [];

  watch(page: Page): Page {
    const allowed = (url: string, status: number) => this.expected.some((e) => e.url.test(url) && e.status === status);
    page.on("console", (m) => {
      if (m.type() !== "error") return;
      // Chromium's own line for an answer >= 400 names neither URL nor method: allowed when its status is expected.
      if (this.expected.some((e) => m.text().includes(`status of ${e.status}`))) return;
      this.seen.push(`console: ${m.text()}`);
    });
    page.on("pageerror", (e) => this.seen.push(`page error: ${e.message}`));
    page.on("requestfailed", (r) => this.seen.push(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText ?? ""}`));
    page.on("response", (r) => {
      if (r.status() >= 400 && !allowed(r.url(), r.status())) this.seen.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
    });
    return page;
  }

  take(): string[] {
    return this.seen.splice(0);
  }
}

/**
 * The one page of `context` that signIn and open use, watched by `problems`. One page, not one per view: each new
 * page costs chromium about 0.8 s of CPU on a 2-core machine (a renderer for it), a navigation in the same page a few
 * milliseconds, and the suite is bound by CPU. A test that closes it gets a new one next time.
 */
export async function pageOf(context: BrowserContext, problems: Problems): Promise<Page> {
  let page = shared.get(context);
  if (page === undefined || page.isClosed()) {
    page = problems.watch(await context.newPage());
    shared.set(context, page);
  }
  return page;
}
const shared = new WeakMap<BrowserContext, Page>();

/** Signs `context` in with the form (`/` sends the browser there); leaves its page (pageOf) on the overview. */
export async function signIn(context: BrowserContext, base: string, token: string, problems: Problems): Promise<Page> {
  const page = await pageOf(context, problems);
  await page.goto(`${base}/`);
  await page.fill('input[name="token"]', token);
  await Promise.all([page.waitForURL(`${base}/`), page.press('input[name="token"]', "Enter")]);
  await page.waitForSelector('main[aria-busy="false"]', { timeout: 15_000 });
  return page;
}

/**
 * The page of `context` (pageOf) on `hash` (`#/containers`), loaded anew as a link from Slack opens it (through
 * about:blank: from the dashboard, a change of hash alone would only route the page already loaded), its view drawn.
 */
export async function open(context: BrowserContext, base: string, hash: string, problems: Problems): Promise<Page> {
  const page = await pageOf(context, problems);
  await page.goto("about:blank");
  await page.goto(`${base}/${hash}`);
  await page.waitForSelector('main[aria-busy="false"]', { timeout: 15_000 });
  return page;
}

/**
 * The whole page to test-output/browser/NAME.png; with LOOKOUT_UPDATE_SCREENSHOTS=1,
 * its first screen to docs/screenshots/NAME.png too (the README's: committed,
 * so not rewritten by every run).
 */
export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
  if (process.env.LOOKOUT_UPDATE_SCREENSHOTS === "1") {
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
  }
}
