/**
 * `/metrics`: the exposition (escaping, OpenMetrics' names and `# EOF`, a
 * hostile container name and labels), who may scrape it, and Debian's
 * `promtool check metrics` on a real scrape of a running agent (the rig's
 * server over an Agent, with this machine's host collector).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ContainerFiguresView } from "../../src/collect/docker/docker.js";
import { type ContainerView, newView } from "../../src/collect/docker/tracker.js";
import { HostCollector } from "../../src/collect/host/host.js";
import { Exposition, escapeLabelValue, formatFor, sanitizeLabelName } from "../../src/http/exposition.js";
import { cadvisorLabels } from "../../src/http/metrics.js";
import { acceptsGzip } from "../../src/http/server.js";
import type { ApiSource } from "../../src/http/source.js";
import { cpuSample, type Rig, startRig, T0, TOKEN } from "./rig.js";

const PROMTOOL = "/usr/bin/promtool";

let rig: Rig | null = null;
afterEach(async () => {
  await rig?.close();
  rig = null;
});

describe("the exposition", () => {
  it("escapes label values (backslash, quote, newline) and sanitizes label names as cAdvisor", () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    expect(sanitizeLabelName("com.docker.compose.project")).toBe("com_docker_compose_project");
    expect(sanitizeLabelName("9lives/é")).toBe("_9lives__");
    expect(sanitizeLabelName("")).toBe("_");
  });

  it("writes the text format, and OpenMetrics with _total stripped from a counter's family, info and unknown types, and # EOF", () => {
    const e = new Exposition();
    e.family("x_requests_total", "counter", 'Requests "served"\nso far.').add([["path", "/a"]], 3);
    e.family("x_build_info", "info", "Build.").add([["version", "1"]], 1);
    e.family("x_raw", "untyped", "Raw.").add([], 1.5);
    e.family("x_empty", "gauge", "No samples: left out.");
    const text = e.render("prometheus");
    expect(text).toBe(
      [
        '# HELP x_requests_total Requests "served"\\nso far.',
        "# TYPE x_requests_total counter",
        'x_requests_total{path="/a"} 3',
        "# HELP x_build_info Build.",
        "# TYPE x_build_info gauge",
        'x_build_info{version="1"} 1',
        "# HELP x_raw Raw.",
        "# TYPE x_raw untyped",
        "x_raw 1.5",
        "",
      ].join("\n"),
    );
    const om = e.render("openmetrics");
    expect(om).toContain('# HELP x_requests Requests \\"served\\"\\nso far.\n# TYPE x_requests counter\nx_requests_total{path="/a"} 3\n');
    expect(om).toContain("# TYPE x_build info\nx_build_info{");
    expect(om).toContain("# TYPE x_raw unknown\n");
    expect(om.endsWith("# EOF\n")).toBe(true);
    expect(om).not.toContain("x_empty");
  });

  it("refuses a counter not ending in _total and a name given twice", () => {
    const e = new Exposition();
    expect(() => e.family("x_requests", "counter", "")).toThrow(/_total/);
    e.family("x_a", "gauge", "");
    expect(() => e.family("x_a", "gauge", "")).toThrow(/twice/);
  });

  it("chooses OpenMetrics only when Accept asks for it; anything else is the text format", () => {
    expect(formatFor("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")).toBe("openmetrics");
    expect(formatFor("text/plain;version=0.0.4")).toBe("prometheus");
    expect(formatFor(undefined)).toBe("prometheus");
    expect(formatFor("garbage;;;q=x, ,")).toBe("prometheus");
    expect(formatFor("application/openmetrics-text;q=0")).toBe("prometheus");
    expect(formatFor("text/plain;q=1, application/openmetrics-text;q=0.5")).toBe("prometheus");
  });

  it("gives cAdvisor's labels: container_label_* sorted, clashes after sanitizing keep the first, then id, image, name", () => {
    const v = newView("abc123", { name: "web", image: "nginx", labels: { "a.b": "1", a_b: "2", "com.docker.compose.project": "shop" } });
    expect(cadvisorLabels(v)).toEqual([
      ["container_label_a_b", "1"],
      ["container_label_a_b", "2"],
      ["container_label_com_docker_compose_project", "shop"],
      ["id", "/docker/abc123"],
      ["image", "nginx"],
      ["name", "web"],
    ]);
    const e = new Exposition();
    e.family("x", "gauge", "").add(cadvisorLabels(v), 1);
    expect(e.render("prometheus")).toContain('x{container_label_a_b="1",container_label_com_docker_compose_project="shop",id="/docker/abc123",image="nginx",name="web"} 1');
  });
});

/** A hostile container: quotes, a backslash and a newline in its name, label keys that are no label names. */
const HOSTILE = newView("0123456789abcdef0123456789abcdef", {
  name: 'evil"\\\nname',
  image: "img:1",
  labels: { "com.docker.compose.project": "shop", 'x"y\nz': 'v"\\\n', "1.starts-with-digit": "ok", "": "empty key" },
  startedAt: T0 - 60_000,
  memoryLimit: 0,
  health: "unhealthy",
});

/** The rig's source with this machine's host collector (collected once) and figures for the rig's containers and a hostile one. */
function realisticSource(base: ApiSource, host: HostCollector): ApiSource {
  const figures = (views: ContainerView[]): ContainerFiguresView[] =>
    [...views, HOSTILE].map((view, i) => ({
      view,
      figures:
        view.status === "running"
          ? { cpuNs: 1.5e9 * (i + 1), memoryUsage: 50e6, pids: 7, network: { rxBytes: 1000, txBytes: 2000 }, blockIo: { readBytes: 4096, writeBytes: 8192 } }
          : null,
      workingSet: view.status === "running" ? 40e6 : null,
      oomEvents: i,
      seenAt: T0,
    }));
  return {
    ...base,
    host: () => host,
    docker: () => {
      const d = base.docker()!;
      return { ...d, metricFigures: () => figures(d.containers()) };
    },
  };
}

describe("GET /metrics", () => {
  let promtool = false;
  beforeAll(() => {
    promtool = existsSync(PROMTOOL);
  });

  it("serves host (node_exporter), container (cAdvisor) and Lookout's own metrics, the hostile name escaped; promtool finds nothing wrong", async () => {
    const host = new HostCollector({ hostRoot: "", cpuWindowMs: 50 });
    await host.collect({ now: Date.now(), reason: "interval" } as Parameters<HostCollector["collect"]>[0]);
    rig = await startRig({ token: null, source: (s) => realisticSource(s, host) });
    rig.host.samples = [cpuSample(90)];
    await rig.cycle(T0);
    const a = await rig.request("GET", "/metrics");
    expect(a.status).toBe(200);
    expect(a.headers["content-type"]).toBe("text/plain; version=0.0.4; charset=utf-8");
    const text = a.text;
    for (const name of [
      "node_cpu_seconds_total",
      "node_memory_MemTotal_bytes",
      "node_memory_MemAvailable_bytes",
      "node_filesystem_avail_bytes",
      "node_load1",
      "node_boot_time_seconds",
      "node_time_seconds",
      "node_uname_info",
      "container_cpu_usage_seconds_total",
      "container_memory_working_set_bytes",
      "container_spec_memory_limit_bytes",
      "container_oom_events_total",
      "container_fs_reads_bytes_total",
      "lookout_container_exit_code",
      "lookout_container_health_status",
      "lookout_alerts",
      "lookout_outbox_pending",
      "lookout_cycle_duration_seconds_bucket",
      "lookout_build_info",
    ]) {
      expect(text, name).toMatch(new RegExp(`^${name}[{ ]`, "m"));
    }
    expect(text).toMatch(/^node_cpu_seconds_total\{cpu="0",mode="idle"\} \d/m);
    expect(text).toContain(
      'container_cpu_usage_seconds_total{container_label_com_docker_compose_project="shop",container_label_com_docker_compose_service="web",id="/docker/a1b2c3d4e5f60718293a4b5c",image="nginx:1.27",name="shop-web-1",cpu="total"} 1.5',
    );
    // The hostile container: every value escaped, every label name valid, one line per sample.
    expect(text).toContain('name="evil\\"\\\\\\nname"');
    expect(text).toContain('container_label_x_y_z="v\\"\\\\\\n"');
    expect(text).toContain('container_label__1_starts_with_digit="ok"');
    expect(text).toContain(
      'lookout_container_health_status{container_label__="empty key",container_label__1_starts_with_digit="ok",container_label_com_docker_compose_project="shop",container_label_x_y_z="v\\"\\\\\\n",id="/docker/0123456789abcdef0123456789abcdef",image="img:1",name="evil\\"\\\\\\nname",status="unhealthy"} 1',
    );
    for (const line of text.split("\n"))
      if (line !== "" && !line.startsWith("#")) expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*=".*"(,[a-zA-Z_][a-zA-Z0-9_]*=".*")*\})? \S+$/);
    expect(text).toContain('lookout_build_info{hostname="web-1",');
    expect(text).toMatch(/^lookout_alerts\{alertname="host_cpu",severity="warning",state="firing"\} 1$/m);
    // A stopped container has Lookout's series, not cAdvisor's.
    expect(text).toMatch(/^lookout_container_exit_code\{id="\/docker\/ffeeddccbbaa998877665544",image="postgres:16",name="db"\} 1$/m);
    expect(text).not.toMatch(/^container_\w+\{[^}]*name="db"/m);

    const om = await rig.request("GET", "/metrics", { headers: { Accept: "application/openmetrics-text;version=1.0.0,text/plain;q=0.5" } });
    expect(om.headers["content-type"]).toBe("application/openmetrics-text; version=1.0.0; charset=utf-8");
    expect(om.text.endsWith("# EOF\n")).toBe(true);
    expect(om.text).toContain("# TYPE node_cpu_seconds counter\n");
    expect(om.text).toContain("# TYPE lookout_build info\n");
    expect(om.text).toContain("# TYPE lookout_cycle_duration_seconds histogram\n");
    const bad = await rig.request("GET", "/metrics", { headers: { Accept: "application/json" } });
    expect(bad.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);

    if (!promtool) return;
    // promtool reads the text format only (OpenMetrics is parsed by the real Prometheus: metrics-prometheus.test.ts).
    for (const body of [text]) {
      const p = spawnSync(PROMTOOL, ["check", "metrics"], { input: body, encoding: "utf8", timeout: 10_000 });
      // Exit 1 is a parse error; exit 3 a lint problem. The one lint note allowed is node_exporter's own
      // camelCase Meminfo names (node_memory_MemTotal_bytes…), which the contract keeps as node_exporter has them.
      const notes = `${p.stdout}${p.stderr}`.split("\n").filter((l) => l.trim() !== "");
      const others = notes.filter((l) => !/^node_memory_(Mem|Swap)\w+_bytes metric names should be written in 'snake_case' not 'camelCase'$/.test(l));
      expect(others, notes.join("\n")).toEqual([]);
      expect([0, 3], notes.join("\n")).toContain(p.status);
    }
  }, 30_000);

  it("is open without a token (loopback only); with a token it needs it, unless http.metrics_public", async () => {
    rig = await startRig({ token: null });
    expect((await rig.request("GET", "/metrics")).status).toBe(200);
    await rig.close();

    rig = await startRig();
    const none = await rig.request("GET", "/metrics", { token: null });
    expect(none.status).toBe(401);
    expect(none.headers["www-authenticate"]).toMatch(/^Bearer/);
    expect(none.json.error).toMatch(/metrics_public/);
    const wrong = await rig.request("GET", "/metrics", { token: "not-the-token-at-all" });
    expect(wrong.status).toBe(401);
    const ok = await rig.request("GET", "/metrics", { token: TOKEN });
    expect(ok.status).toBe(200);
    expect(ok.text).not.toContain(TOKEN);
    expect((await rig.request("POST", "/metrics", { token: TOKEN })).status).toBe(405);
    await rig.close();

    rig = await startRig({ token: null });
    const plain = await rig.request("GET", "/metrics", { headers: { "Accept-Encoding": "identity" } });
    expect(plain.headers["content-encoding"]).toBeUndefined();
    const zipped = await rig.request("GET", "/metrics", { headers: { "Accept-Encoding": "gzip, deflate" } });
    expect(zipped.headers["content-encoding"]).toBe("gzip");
    expect(zipped.headers.vary).toBe("Accept-Encoding");
    expect(Number(zipped.headers["content-length"])).toBe(zipped.raw.length);
    const unzipped = gunzipSync(zipped.raw).toString("utf8");
    expect(unzipped.split("\n").filter((l) => !l.startsWith("lookout_")).length).toBeGreaterThan(10);
    expect(unzipped.replace(/^lookout_.*$/gm, "")).toBe(plain.text.replace(/^lookout_.*$/gm, "")); // Lookout's own part is read at each scrape
    expect(acceptsGzip("gzip;q=0")).toBe(false);
    expect(acceptsGzip("br, *;q=0.1")).toBe(true);
    await rig.close();

    rig = await startRig({ http: "  metrics_public: true\n" });
    expect((await rig.request("GET", "/metrics", { token: null })).status).toBe(200);
    expect((await rig.request("GET", "/api/v1/status", { token: null })).status).toBe(401);
  });
});
