import { beforeAll, describe, expect, it } from "vitest";
import { parseContainerMatcher as parseMatcher, selector } from "../../../src/collect/docker/matchers.js";
import { containerPolicy, loadPolicyChecks } from "../../../src/collect/docker/policy.js";
import { configSchema } from "../../../src/config/schema.js";

// Labels and overrides are checked by code loaded on demand (collect/docker/policy.ts): loaded here as a report would.
beforeAll(loadPolicyChecks);

const config = configSchema.parse({
  containers: {
    memory: { warning: 85 },
    overrides: [
      { match: "name=db-*", memory: { warning: 95 }, restart_loop: { restarts: 10 } },
      { match: "com.docker.compose.project=shop", cpu: { warning: 50, for: "30s" } },
    ],
  },
});

describe("containerPolicy", () => {
  it("applies defaults, then matching overrides, then the container's labels", () => {
    expect(containerPolicy(config, { name: "web", labels: {} }).rules.memory.warning).toBe(85);
    const db = containerPolicy(config, { name: "db-1", labels: { "lookout.memory.critical": "98", "lookout.restart_loop.restarts": "5" } });
    expect(db.problems).toEqual([]);
    expect(db.rules.memory).toMatchObject({ warning: 95, critical: 98 });
    expect(db.rules.restart_loop.restarts).toBe(5); // label beats override
    const shop = containerPolicy(config, { name: "web", labels: { "com.docker.compose.project": "shop", "lookout.cpu.warning": "90" } });
    expect(shop.rules.cpu).toMatchObject({ warning: 90, for: 30_000 });
  });

  it("reports an invalid label value and keeps the rest", () => {
    const p = containerPolicy(config, { name: "web", labels: { "lookout.cpu.warning": "high", "lookout.memory.warning": "70" } });
    expect(p.problems).toEqual(['label lookout.cpu.warning="high": expected a number from 0 to 100']);
    expect(p.rules.cpu.warning).toBe(80);
    expect(p.rules.memory.warning).toBe(70);
  });

  it("turns a rule off per container", () => {
    expect(containerPolicy(config, { name: "batch", labels: { "lookout.crashed.enabled": "false" } }).rules.crashed.enabled).toBe(false);
  });
});

describe("container matchers", () => {
  it("matches name globs and label matchers; lookout.ignore=true excludes", () => {
    expect(parseMatcher("web-*")({ name: "web-1", labels: {} })).toBe(true);
    expect(parseMatcher("web-*")({ name: "api", labels: {} })).toBe(false);
    expect(parseMatcher("env=prod")({ name: "x", labels: { env: "prod" } })).toBe(true);
    const sel = selector(["web-*", "team=core"], ["web-tmp*"]);
    expect(sel({ name: "web-1", labels: {} })).toBe(true);
    expect(sel({ name: "db", labels: { team: "core" } })).toBe(true);
    expect(sel({ name: "web-tmp2", labels: {} })).toBe(false);
    expect(sel({ name: "db", labels: {} })).toBe(false);
    expect(selector([], [])({ name: "x", labels: { "lookout.ignore": "true" } })).toBe(false);
  });
});
