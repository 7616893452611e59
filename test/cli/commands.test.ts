import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runCli, workspace } from "../support/cli.js";
import { hostRulesOnly } from "../support/configs.js";
import { FAKE_SLACK_PATH, FakeSlack } from "../support/fake-slack.js";
import { FakeSmtp, TLS_DIR } from "../support/fake-smtp.js";

const fake = new FakeSlack();
beforeAll(async () => {
  await fake.start();
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };

describe("lookout --version and --help", () => {
  it("prints the version", async () => {
    const r = await runCli(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it.each(["init", "run", "check", "status", "test-notify"])("%s --help shows the global options and an example", async (cmd) => {
    const r = await runCli([cmd, "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Example/);
    expect(r.stdout).toMatch(new RegExp(`lookout ${cmd}`));
    expect(r.stdout).toMatch(/--config <path>/);
    expect(r.stdout).toMatch(/--data-dir <dir>/);
  });

  it("works as `npx lookout` from the repository root, with npm's cache as empty as a new machine's", async () => {
    const { spawnSync } = await import("node:child_process");
    const { mkdtempSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const cache = mkdtempSync(join(tmpdir(), "lookout-npx-"));
    try {
      const env = { ...process.env, npm_config_cache: cache, npm_config_update_notifier: "false" };
      const root = new URL("../..", import.meta.url).pathname;
      const built = statSync(`${root}dist/cli/main.cjs`).mtimeMs;
      const r = spawnSync("npx", ["--no-install", "lookout", "--version"], { cwd: root, encoding: "utf8", env, timeout: 60_000 });
      expect(r.status, `npx said: ${r.stderr}`).toBe(0);
      expect(r.stdout.trim()).toBe(pkg.version);
      // npx installs the checkout into its cache, which runs its prepare: that must not build dist/ again
      // (seconds of a first `npx lookout`, and dist/ rewritten under the other tests of this suite).
      expect(statSync(`${root}dist/cli/main.cjs`).mtimeMs).toBe(built);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it("npm ci links node_modules/.bin/lookout to bin/lookout.cjs (where every npm version's npx looks first)", async () => {
    const { spawnSync } = await import("node:child_process");
    const { realpathSync } = await import("node:fs");
    const root = new URL("../..", import.meta.url).pathname;
    expect(realpathSync(`${root}node_modules/.bin/lookout`)).toBe(realpathSync(`${root}bin/lookout.cjs`));
    const r = spawnSync("sh", ["-c", "lookout --version"], { cwd: root, encoding: "utf8", env: { ...process.env, PATH: `${root}node_modules/.bin:${process.env.PATH ?? ""}` } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it("the installed bin runs as an executable with its Node flags and prints nothing else", async () => {
    const { spawnSync } = await import("node:child_process");
    const root = new URL("../..", import.meta.url).pathname;
    const r = spawnSync(`${root}bin/lookout.cjs`, ["--version"], { cwd: root, encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
    expect(r.stderr).toBe(""); // lite mode without --no-expose-wasm would warn here
    const flags = spawnSync(`${root}bin/lookout.cjs`, ["status", "--help"], { cwd: root, encoding: "utf8" });
    expect(flags.status).toBe(0);
    expect(flags.stderr).toBe("");
    expect(readFileSync(`${root}bin/lookout.cjs`, "utf8").split("\n")[0]).toBe("#!/usr/bin/env -S node --single-threaded-gc --lite-mode --no-expose-wasm");
  });

  it("the installed bin (bin/lookout.cjs) hands other commands to the bundled CLI and keeps their exit code", async () => {
    const { spawnSync } = await import("node:child_process");
    const root = new URL("../..", import.meta.url).pathname;
    const help = spawnSync(process.execPath, ["bin/lookout.cjs", "status", "--help"], { cwd: root, encoding: "utf8" });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/Usage: lookout status/);
    const wrong = spawnSync(process.execPath, ["bin/lookout.cjs", "chekc"], { cwd: root, encoding: "utf8" });
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/unknown command 'chekc'/);
  });

  it("refuses an unknown command or option with exit 2", async () => {
    expect((await runCli(["chekc"])).code).toBe(2);
    const r = await runCli(["check", "--jsno"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--jsno'/);
  });
});

describe("lookout init", () => {
  it("writes a commented lookout.yaml (mode 600) that check accepts, and will not overwrite it", async () => {
    const ws = workspace();
    const r = await runCli(["init"], { cwd: ws.dir });
    expect(r.code).toBe(0);
    const path = join(ws.dir, "lookout.yaml");
    expect(readFileSync(path, "utf8")).toMatch(/^# Lookout configuration/);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const again = await runCli(["init"], { cwd: ws.dir });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists; pass --force/);
    const check = await runCli(["check", "--json"], { cwd: ws.dir });
    expect(check.stderr).toBe("");
    expect([0, 1, 2]).toContain(check.code);
    expect(existsSync(join(ws.dir, "data", "lookout.db"))).toBe(true); // ./data next to the config
  });

  it("writes to the given path", async () => {
    const ws = workspace();
    expect((await runCli(["init", join(ws.dir, "custom.yaml")])).code).toBe(0);
    expect(existsSync(join(ws.dir, "custom.yaml"))).toBe(true);
  });
});

describe("bad configuration", () => {
  it("is refused before anything runs: exit 2, one line per problem, no stack", async () => {
    const ws = workspace('host:\n  cpu: { warning: "80%" }\n  dsik: {}\n');
    for (const cmd of ["check", "run", "status"]) {
      const r = await runCli([cmd, "--config", ws.config, "--data-dir", ws.data]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('host.cpu.warning: expected a number from 0 to 100, got "80%"');
      expect(r.stderr).toContain('host.dsik: unknown key (did you mean "disk"?)');
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).toBe("");
    }
    expect(existsSync(ws.data)).toBe(false);
  });

  it("finds the config through LOOKOUT_CONFIG", async () => {
    const ws = workspace("interval: forever\n");
    const r = await runCli(["check"], { env: { LOOKOUT_CONFIG: ws.config } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/interval: expected a duration/);
  });
});

describe("lookout test-notify", () => {
  it("exits 0 when Slack answers ok, and never prints the URL", async () => {
    const r = await runCli(["test-notify", "--url", fake.url]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/OK/);
    expect(r.stdout + r.stderr).not.toContain(fake.url);
    expect(r.stdout).toContain("/services/T…/B…/****");
    expect(fake.requests).toHaveLength(1);
  });

  // Every other answer's words are checked in process (test/docs/troubleshooting.test.ts, test/notify/slack*): two spawns
  // show that test-notify prints them and exits 1, for the setup's fault and for Lookout's.
  it.each([
    [404, "no_service", /does not exist.*new incoming webhook/i],
    [400, "invalid_payload", /report/i],
  ])("explains %i %s in plain words and exits 1", async (status, body, advice) => {
    fake.respondWith([{ status, body }]);
    const r = await runCli(["test-notify"], { env: { LOOKOUT_SLACK_WEBHOOK_URL: fake.url } });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAILED/);
    expect(r.stdout).toMatch(advice);
    expect(r.stdout + r.stderr).not.toContain(fake.url);
  });

  it("explains rate limiting", async () => {
    fake.respondWith([{ status: 429, body: "rate_limited", headers: { "retry-after": "30" } }]);
    const r = await runCli(["test-notify", "--url", fake.url]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/rate/i);
    expect(r.stdout).toMatch(/30 ?s/);
  });

  it("says a wrong path is unknown to Slack", async () => {
    const r = await runCli(["test-notify", "--url", fake.urlFor("/services/T000/B000/WRONG")]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/no_service/);
    expect(r.stdout).not.toContain("WRONG");
  });

  it("says what to do when nothing is configured", async () => {
    const ws = workspace("{}\n");
    const r = await runCli(["test-notify", "--config", ws.config]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no receiver configured: pass --url URL, export LOOKOUT_SLACK_WEBHOOK_URL/);
  });

  it("tests every configured receiver, Slack and mail alike, or the one --receiver names, and says each one's answer", async () => {
    const smtp = new FakeSmtp();
    await smtp.start();
    try {
      const ws = workspace(
        [
          "notify:",
          "  slack:",
          "    - name: team",
          `      webhook_url: ${fake.url}`,
          "  email:",
          "    - name: oncall-mail",
          `      smtp: { host: 127.0.0.1, port: ${smtp.port}, ca_file: ${join(TLS_DIR, "cert.pem")} }`,
          "      from: lookout@example.com",
          "      to: [oncall@example.com]",
          "",
        ].join("\n"),
      );
      const all = await runCli(["test-notify", "--config", ws.config]);
      expect(all.code).toBe(0);
      expect(all.stdout).toMatch(/^team \(.*\/services\/T…\/B…\/\*\*\*\*\): OK: /m);
      expect(all.stdout).toMatch(
        /^oncall-mail \(smtp:\/\/127\.0\.0\.1:\d+ → oncall@example\.com\): OK: The mail server took the test mail: .* accepted it for oncall@example\.com \(250 /m,
      );
      expect(fake.requests).toHaveLength(1);
      expect(smtp.mails).toHaveLength(1);

      const one = await runCli(["test-notify", "--config", ws.config, "--receiver", "oncall-mail"]);
      expect(one.code).toBe(0);
      expect(one.stdout.trim().split("\n")).toHaveLength(1);
      expect(fake.requests).toHaveLength(1);
      expect(smtp.mails).toHaveLength(2);

      const unknown = await runCli(["test-notify", "--config", ws.config, "--receiver", "nobody"]);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain('--receiver: no receiver is named "nobody"; the receivers are team, oncall-mail');

      // A mail server that refuses: FAILED, in plain words, exit 1.
      smtp.failNext([{ at: "data", code: 554, message: "5.7.1 Message rejected as spam" }]);
      const refused = await runCli(["test-notify", "--config", ws.config, "--receiver", "oncall-mail"]);
      expect(refused.code).toBe(1);
      expect(refused.stdout).toMatch(
        /^oncall-mail .*: FAILED: The mail server 127\.0\.0\.1:\d+ of oncall-mail refused the mail at DATA \(it answered: 554 5\.7\.1 Message rejected as spam\)\. .*Not retried\./m,
      );
    } finally {
      await smtp.close();
    }
  });

  it("a mail server that refuses the login: FAILED in plain words, and the password nowhere in the output", async () => {
    const PASSWORD = "Sm7pPassw0rdNeverShown";
    const smtp = new FakeSmtp({ auth: { user: "lookout", pass: "the-right-one" } });
    await smtp.start();
    try {
      const ws = workspace(
        [
          "notify:",
          "  email:",
          "    - name: oncall-mail",
          `      smtp: { host: 127.0.0.1, port: ${smtp.port}, username: lookout, password: "\${SMTP_PASSWORD}", ca_file: ${join(TLS_DIR, "cert.pem")} }`,
          "      from: lookout@example.com",
          "      to: [oncall@example.com]",
          "",
        ].join("\n"),
      );
      const r = await runCli(["test-notify", "--config", ws.config], { env: { SMTP_PASSWORD: PASSWORD, LOOKOUT_DEBUG: "1" } });
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/^oncall-mail .*: FAILED: .* refused the login of the user lookout \(it answered: 535 5\.7\.8 Authentication credentials invalid\).*Not retried\./m);
      expect(r.stdout + r.stderr).not.toContain(PASSWORD);
      expect(smtp.mails).toHaveLength(0);
    } finally {
      await smtp.close();
    }
  });

  it("still answers to its old name, test-webhook, which help lists as its alias", async () => {
    const r = await runCli(["test-webhook", "--url", fake.url]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/OK/);
    expect(fake.requests).toHaveLength(1);
    const help = await runCli(["--help"]);
    expect(help.stdout).toMatch(/test-notify\|test-webhook/);
    expect(help.stdout).toMatch(/alias:\s+test-webhook/);
  });

  it("reports an unreachable receiver without a stack", async () => {
    const closed = new FakeSlack();
    const { port } = await closed.start();
    await closed.close(); // nothing listens there now
    const r = await runCli(["test-notify", "--url", `http://127.0.0.1:${port}${FAKE_SLACK_PATH}`]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/refused|could not connect/i);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("lookout status", () => {
  it("shows firing alerts with since and last value, and says so when there are none", async () => {
    // Only the disk rule: this machine's own CPU, memory or load (other work running) must not add alerts.
    const ws = workspace(hostRulesOnly({ disk: '{ warning: 1, critical: null, mounts: ["/"] }' }) + "\n");
    const before = await runCli(["status", "--config", ws.config, "--data-dir", ws.data]);
    expect(before.code).toBe(0);
    expect(before.stdout).toMatch(/no check has run yet/);
    await runCli(["check", "--config", ws.config, "--data-dir", ws.data]);
    const r = await runCli(["status", "--config", ws.config, "--data-dir", ws.data]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^host_disk\s+mount=\/\s+[\d.]+%\s+1\s+FIRING warning\s+\S+ ago$/m);
    const json = JSON.parse((await runCli(["status", "--json", "--config", ws.config, "--data-dir", ws.data])).stdout);
    expect(json.alerts).toMatchObject([{ alertname: "host_disk", state: "firing", severity: "warning", threshold: 1 }]);
  });
});
