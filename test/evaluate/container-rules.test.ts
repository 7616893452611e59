import { beforeAll, describe, expect, it } from "vitest";
import { loadPolicyChecks } from "../../src/collect/docker/policy.js";
import { configSchema } from "../../src/config/schema.js";
import { containerRules } from "../../src/evaluate/container-rules.js";
import { detailsFor, evaluate } from "../../src/evaluate/evaluate.js";
import type { Sample } from "../../src/model/sample.js";

// Labels and overrides are checked by code loaded on demand (collect/docker/policy.ts): loaded here as a report would.
beforeAll(loadPolicyChecks);

const labels = { container: "db-1", image: "postgres:16", compose_project: "shop", compose_service: "db" };
const MiB = 1024 * 1024;
type Unlabelled<S> = S extends Sample ? Omit<S, "labels" | "meta"> : never;
/** A sample of container db-1 (its labels, no Docker labels unless `meta`). */
const sample = (s: Unlabelled<Sample>, meta: Record<string, string> = {}): Sample => ({ ...s, labels, meta });

describe("container rules", () => {
  const config = configSchema.parse({ containers: { overrides: [{ match: "name=db-*", memory: { warning: 95 } }] } });

  it("fires a crash at the configured severity with what happened in the title and the logs as a section", () => {
    const s = sample({
      name: "container_crashed",
      value: 1,
      details: {
        exitCode: 137,
        ranForMs: 90_000,
        restartCount: 2,
        restartPolicy: "always",
        error: "",
        at: 0,
        logs: ["panic: boom"],
        status: "restarting",
        removed: false,
        reconciled: false,
        dockerOomFlag: false,
        writesTo: [],
      },
    });
    const e = evaluate([s], containerRules, config, "web-1");
    expect(e.observations).toHaveLength(1);
    expect(e.observations[0]).toMatchObject({
      warning: 1,
      critical: 1,
      forMs: 0,
      summary: "Container db-1 crashed: exit code 137 (killed (SIGKILL): out of memory, or stopped forcefully)",
    });
    const d = detailsFor(e, e.observations[0]!.fingerprint);
    expect(d.facts).toContainEqual({ label: "Ran for", value: "1m 30s" });
    expect(d.facts).toContainEqual({ label: "Compose", value: "shop / db" });
    expect(d.sections).toEqual([{ title: "Last log lines", text: "panic: boom", code: true }]);
  });

  it("uses per-container settings: overrides and labels, or leaves the container out", () => {
    const mem = sample({ name: "container_memory", value: 92, details: { usageBytes: 471 * MiB, limitBytes: 512 * MiB, limited: true } });
    expect(evaluate([mem], containerRules, config, "h").observations[0]!.warning).toBe(95);
    const byLabel: Sample = { ...mem, meta: { "lookout.memory.warning": "70" } };
    expect(evaluate([byLabel], containerRules, config, "h").observations[0]!.warning).toBe(70);
    const off = { ...mem, meta: { "lookout.memory.enabled": "false" } };
    expect(evaluate([off], containerRules, config, "h").observations).toEqual([]);
  });

  it("says whether memory is of the container's limit or of host memory", () => {
    const limited = sample({ name: "container_memory", value: 92, details: { usageBytes: 471 * MiB, limitBytes: 512 * MiB, limited: true } });
    const e = evaluate([limited], containerRules, config, "h");
    expect(detailsFor(e, e.observations[0]!.fingerprint).facts[0]!.value).toBe("92.0% of its 512 MiB limit: 471 MiB used, page cache not counted");
    const host = sample({ name: "container_memory", value: 31, details: { usageBytes: 7.3 * 1024 * MiB, limitBytes: 23.5 * 1024 * MiB, limited: false } });
    const e2 = evaluate([host], containerRules, config, "h");
    expect(detailsFor(e2, e2.observations[0]!.fingerprint).facts[0]!.value).toBe("31.0% of host memory (23.5 GiB): 7.3 GiB used, page cache not counted");
  });

  it("gives CPU as a share of the limit and of one core", () => {
    const cpu = sample({ name: "container_cpu", value: 98, details: { ofOneCore: 49, cores: 0.5, limited: true } });
    const e = evaluate([cpu], containerRules, config, "h");
    expect(detailsFor(e, e.observations[0]!.fingerprint).facts[0]!.value).toBe("98.0% of its 0.5 CPU limit (49.0% of one core, as docker stats shows it)");
  });

  it("counts restarts against the container's own restart_loop.restarts", () => {
    const loop = sample(
      { name: "container_restart_loop", value: 4, details: { restartPolicy: "always", restartCount: 9, withinMs: 600_000, lastExit: null, logs: [], writesTo: [] } },
      { "lookout.restart_loop.restarts": "5" },
    );
    const e = evaluate([loop], containerRules, configSchema.parse({}), "h");
    expect(e.observations[0]).toMatchObject({ warning: 5, critical: 5, value: 4 });
  });
});

describe("a container's settings from cycle to cycle", () => {
  it("follow a change of its Docker labels or of the config, though its metric labels stay the same object", () => {
    const cpu = (meta: Record<string, string>): Sample => ({ name: "container_cpu", labels, meta, value: 60, details: { ofOneCore: 60, cores: 1, limited: false } });
    const config = configSchema.parse({});
    const warning = (s: Sample, c = config) => evaluate([s], containerRules, c, "web-1").observations[0]?.warning;
    const meta = { "lookout.cpu.warning": "50" };
    expect(warning(cpu(meta))).toBe(50);
    expect(warning(cpu(meta))).toBe(50); // kept
    expect(warning(cpu({ "lookout.cpu.warning": "70" }))).toBe(70); // relabelled: a new view, a new labels object
    expect(warning(cpu({}))).toBe(config.containers.cpu.warning);
    const stricter = configSchema.parse({ containers: { cpu: { warning: 40 } } });
    expect(warning(cpu({}), stricter)).toBe(40); // reloaded
  });
});
