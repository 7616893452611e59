/**
 * `lookout run` and its HTTP server, through the built CLI (dist/, `npm run
 * build` first): an address other machines can reach without a token, an
 * unreadable token file and a port in use stop the start with exit code 2
 * and the fix; a running agent answers on 127.0.0.1 and closes the server
 * when SIGTERM stops it. Tests talk to 127.0.0.1 only.
 */
import { createServer, type Server } from "node:net";
import { describe, expect, it } from "vitest";
import { runCli, startCli, workspace } from "../support/cli.js";
import { HOST_RULES_OFF } from "../support/configs.js";
import { until } from "../support/wait.js";
import { send } from "./rig.js";

const TOKEN = "cli-token-0123456789abcdef";

describe("lookout run refuses to start", () => {
  it("on an address other machines can reach without a token: exit 2, naming http.listen and the fix", async () => {
    const ws = workspace(`${HOST_RULES_OFF}\nhttp:\n  listen: 0.0.0.0:9817\n`);
    // An empty LOOKOUT_HTTP_LISTEN leaves http.listen as the file says (the test helper sets a free port otherwise).
    const r = await runCli(["run", "--config", ws.config, "--data-dir", ws.data], { env: { LOOKOUT_HTTP_LISTEN: "" }, timeoutMs: 20_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("invalid configuration");
    expect(r.stderr).toMatch(/http\.listen: 0\.0\.0\.0:9817 listens on every interface, which other machines can reach, and no token is set/);
    expect(r.stderr).toMatch(/set http\.auth_token \(or http\.auth_token_file; openssl rand -hex 32 makes one\), or listen on 127\.0\.0\.1:9817 only/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 30_000);

  it("when the token file cannot be read, or the token is short", async () => {
    const ws = workspace(`${HOST_RULES_OFF}\nhttp:\n  auth_token_file: /nonexistent/lookout-token\n`);
    const r = await runCli(["run", "--config", ws.config, "--data-dir", ws.data], { timeoutMs: 20_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/http\.auth_token_file: cannot read \/nonexistent\/lookout-token \(ENOENT\); check the path and its permissions/);
    const short = workspace(`${HOST_RULES_OFF}\nhttp:\n  auth_token: short\n`);
    const s = await runCli(["run", "--config", short.config, "--data-dir", short.data], { timeoutMs: 20_000 });
    expect(s.code).toBe(2);
    expect(s.stderr).toMatch(/http\.auth_token: expected at least 16 characters/);
    expect(s.stderr).not.toContain('"short"');
  }, 30_000);

  it("when the port is in use: exit 2, naming http.listen and the fix", async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const ws = workspace(`${HOST_RULES_OFF}\n`);
      const r = await runCli(["run", "--config", ws.config, "--data-dir", ws.data], { env: { LOOKOUT_HTTP_LISTEN: `127.0.0.1:${port}` }, timeoutMs: 20_000 });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`lookout: http.listen: 127.0.0.1:${port} is in use by another program (another lookout run?); stop it, or set http.listen to a free port`);
      // The agent it had started let go of the data directory: a check runs.
      const check = await runCli(["check", "--config", ws.config, "--data-dir", ws.data], { timeoutMs: 20_000 });
      expect(check.code).toBe(0);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  }, 40_000);
});

describe("lookout run serves", () => {
  it("the API with the token from the environment, /healthz open, and closes the server on SIGTERM", async () => {
    const ws = workspace(`hostname: web-9\n${HOST_RULES_OFF}\nhttp:\n  auth_token: \${LOOKOUT_TEST_HTTP_TOKEN}\n`);
    const agent = startCli(["run", "--config", ws.config, "--data-dir", ws.data], { env: { LOOKOUT_TEST_HTTP_TOKEN: TOKEN } });
    try {
      await agent.firstCheck();
      const line = await until(
        () => /http: dashboard and API listening listen=127\.0\.0\.1:(\d+)/.exec(agent.out.stderr),
        10_000,
        "the server's log line",
        () => agent.out.stderr,
      );
      const port = Number(line[1]);
      expect(agent.out.stderr).toMatch(/auth=token/);
      const health = await send(port, "GET", "/healthz");
      expect(health.status).toBe(200);
      expect(health.json.status).toBe("ok");
      expect((await send(port, "GET", "/api/v1/status")).status).toBe(401);
      const status = await send(port, "GET", "/api/v1/status", { token: TOKEN });
      expect(status.status).toBe(200);
      expect(status.json).toMatchObject({ hostname: "web-9", status: "ok" });
      expect(await agent.stop("SIGTERM")).toBe(0);
      await expect(send(port, "GET", "/healthz")).rejects.toThrow(/ECONNREFUSED/);
      expect(agent.out.stderr).not.toContain(TOKEN);
    } finally {
      await agent.stop("SIGKILL");
    }
  }, 40_000);
});
