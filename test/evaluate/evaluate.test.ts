import { describe, expect, it } from "vitest";
import { configSchema } from "../../src/config/schema.js";
import { evaluate, factsFor, fingerprintOf } from "../../src/evaluate/evaluate.js";
import { ruleRegistry } from "../../src/evaluate/registry.js";
import type { RuleDefinition } from "../../src/evaluate/rule.js";
import type { Sample } from "../../src/model/sample.js";

const GiB = 1024 ** 3;
const samples: Sample[] = [
  { name: "host_cpu", labels: {}, value: 97.2, details: { user: 80.1, system: 15, iowait: 2.1, steal: 0, windowMs: 1000 } },
  { name: "host_cpu_user", labels: {}, value: 80.1 },
  { name: "host_memory", labels: {}, value: 50, details: { totalBytes: 8 * GiB, availableBytes: 4 * GiB, usedBytes: 4 * GiB } },
  {
    name: "host_disk",
    labels: { mount: "/" },
    value: 91.5,
    details: { device: "/dev/vda1", fstype: "ext4", sizeBytes: 100 * GiB, usedBytes: 91 * GiB, freeBytes: 8.5 * GiB },
  },
  { name: "host_disk", labels: { mount: "/var" }, value: 10, details: { device: "/dev/vdb", fstype: "xfs", sizeBytes: 10 * GiB, usedBytes: GiB, freeBytes: 9 * GiB } },
  { name: "host_load", labels: {}, value: 2.5, details: { load1: 11, load5: 10, load15: 9, cores: 4 } },
];

describe("evaluate", () => {
  it("turns samples into one observation per rule and series, with Alertmanager labels", () => {
    const config = configSchema.parse({});
    const e = evaluate(samples, ruleRegistry, config, "web-1");
    expect(e.observations.map((o) => o.fingerprint)).toEqual([
      'host_cpu{hostname="web-1"}',
      'host_memory{hostname="web-1"}',
      'host_disk{hostname="web-1",mount="/"}',
      'host_disk{hostname="web-1",mount="/var"}',
      'host_load{hostname="web-1"}',
    ]);
    expect(e.observations[2]).toMatchObject({
      alertname: "host_disk",
      labels: { alertname: "host_disk", hostname: "web-1", mount: "/" },
      display: "Disk /",
      warning: 90,
      critical: 95,
      forMs: 0,
      hysteresis: 5,
    });
    // swap and inodes were not collected: their alerts must not be resolved by absence.
    expect([...e.evaluated].sort()).toEqual(["host_cpu", "host_disk", "host_load", "host_memory"]);
  });

  it("watches only the configured mounts, and counts a disabled rule as evaluated", () => {
    const config = configSchema.parse({ host: { disk: { mounts: ["/var"] }, cpu: { enabled: false } } });
    const e = evaluate(samples, ruleRegistry, config, "web-1");
    expect(e.observations.filter((o) => o.alertname === "host_disk").map((o) => o.labels.mount)).toEqual(["/var"]);
    expect(e.observations.some((o) => o.alertname === "host_cpu")).toBe(false);
    expect(e.evaluated.has("host_cpu")).toBe(true);
  });

  it("gives each alert the facts a person needs", () => {
    const e = evaluate(samples, ruleRegistry, configSchema.parse({}), "web-1");
    expect(factsFor(e, 'host_cpu{hostname="web-1"}')).toEqual([{ label: "Split", value: "user 80.1% · system 15.0% · iowait 2.1% · steal 0.0%" }]);
    expect(factsFor(e, 'host_disk{hostname="web-1",mount="/"}')).toEqual([
      { label: "Mount", value: "/" },
      { label: "Free", value: "8.5 GiB of 100 GiB" },
      { label: "Device", value: "/dev/vda1 (ext4)" },
    ]);
    expect(factsFor(e, 'host_load{hostname="web-1"}')[0]).toEqual({ label: "Per core (5m)", value: "2.50 on 4 cores" });
    expect(factsFor(e, 'host_memory{hostname="web-1"}')[0]).toEqual({ label: "Used", value: "4.0 GiB of 8.0 GiB" });
  });

  it("works out a labels object's alert labels and fingerprint once, and again for another hostname", () => {
    const config = configSchema.parse({});
    const one = evaluate(samples, ruleRegistry, config, "web-1");
    const again = evaluate(samples, ruleRegistry, config, "web-1");
    expect(again.observations.map((o) => o.fingerprint)).toEqual(one.observations.map((o) => o.fingerprint));
    expect(again.observations[2]!.labels).toBe(one.observations[2]!.labels); // the same object: not made again
    const renamed = evaluate(samples, ruleRegistry, config, "web-2");
    expect(renamed.observations[2]).toMatchObject({ fingerprint: 'host_disk{hostname="web-2",mount="/"}', labels: { hostname: "web-2", mount: "/" } });
    // The same labels object under another rule: that rule's name.
    const shared = { container: "api", image: "api:1" };
    const both = evaluate(
      [
        { name: "container_cpu", labels: shared, value: 1 },
        { name: "container_memory", labels: shared, value: 1 },
      ] as unknown as Sample[],
      ruleRegistry,
      config,
      "web-1",
    );
    expect(both.observations.map((o) => o.fingerprint)).toEqual([
      'container_cpu{container="api",hostname="web-1",image="api:1"}',
      'container_memory{container="api",hostname="web-1",image="api:1"}',
    ]);
  });

  it("keeps the identity of host-wide samples, whose labels are a new {} each cycle, per rule and hostname", () => {
    const config = configSchema.parse({});
    const cycle = (): Sample[] => samples.map((s) => (Object.keys(s.labels).length === 0 ? { ...s, labels: {} } : s));
    const one = evaluate(cycle(), ruleRegistry, config, "web-1");
    const again = evaluate(cycle(), ruleRegistry, config, "web-1");
    expect(again.observations[0]!.labels).toBe(one.observations[0]!.labels); // host_cpu's: not made again
    expect(again.observations.map((o) => o.fingerprint)).toEqual(one.observations.map((o) => o.fingerprint));
    // Another rule over labels-less samples is never given the first rule's identity.
    expect(again.observations.filter((o) => Object.keys(o.labels).length === 2).map((o) => o.fingerprint)).toEqual([
      'host_cpu{hostname="web-1"}',
      'host_memory{hostname="web-1"}',
      'host_load{hostname="web-1"}',
    ]);
    const renamed = evaluate(cycle(), ruleRegistry, config, "web-2");
    expect(renamed.observations[0]).toMatchObject({ fingerprint: 'host_cpu{hostname="web-2"}', labels: { alertname: "host_cpu", hostname: "web-2" } });
    // A sample whose labels object gains a label is not taken for a labels-less one.
    const labelled = evaluate([{ ...samples[0]!, labels: { mount: "x" } } as Sample], ruleRegistry, config, "web-2");
    expect(labelled.observations[0]!.fingerprint).toBe('host_cpu{hostname="web-2",mount="x"}');
  });

  it("makes an observation's words when they are first read, once", () => {
    const config = configSchema.parse({});
    const made: string[] = [];
    const rule: RuleDefinition = {
      alertname: "host_cpu",
      metric: "host_cpu",
      configKey: "host.cpu",
      settings: () => ({ enabled: true, warning: 90, critical: 95, for: 0, hysteresis: 5 }),
      display: (s, m) => {
        made.push(`display ${s.value}`);
        return m.t("host.cpu.display");
      },
      summary: (s) => {
        made.push(`summary ${s.value}`);
        return `busy at ${s.value}`;
      },
      gone: "host.cpu.display",
      facts: () => [],
    };
    const e = evaluate([samples[0]!], [rule], config, "web-1");
    const o = e.observations[0]!;
    expect(made).toEqual([]); // nobody read them yet: a quiet series costs no words
    expect(o.display).toBe("CPU");
    expect(o.display).toBe("CPU");
    expect(made).toEqual(["display 97.2"]);
    expect(o).toMatchObject({ display: "CPU", summary: "busy at 97.2", goneText: "CPU", value: 97.2 });
    expect(o.summary).toBe("busy at 97.2");
    expect(made).toEqual(["display 97.2", "summary 97.2"]);
    const plain = evaluate([samples[0]!], [{ ...rule, summary: undefined, gone: undefined }], config, "web-1").observations[0]!;
    expect([plain.summary, plain.goneText]).toEqual([undefined, undefined]);
  });

  it("identifies an alert by name and labels, never by severity", () => {
    expect(fingerprintOf("host_disk", { alertname: "host_disk", severity: "critical", mount: "/var", hostname: "h" })).toBe(
      fingerprintOf("host_disk", { hostname: "h", mount: "/var", severity: "warning" }),
    );
  });
});
