/**
 * The HTTP server on 127.0.0.1 (a free port) over a real Agent: a real SQLite
 * data directory in a temp dir, fake collectors (the host's samples and a
 * Docker collector with the containers and logs the test sets), no
 * receivers (or the ones the test gives), and a clock the test moves. Requests go through `node:http`.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent } from "../../src/agent.js";
import type { Collector } from "../../src/collect/collector.js";
import { type ContainerView, newView } from "../../src/collect/docker/tracker.js";
import { loadConfig } from "../../src/config/load.js";
import { HttpServer } from "../../src/http/server.js";
import { httpSettings } from "../../src/http/settings.js";
import { type ApiSource, agentSource } from "../../src/http/source.js";
import { CONTAINER_CPU, CONTAINER_MEMORY, DOCKER_UNREACHABLE, HOST_CPU, HOST_DISK } from "../../src/model/metrics.js";
import { type Sample, sampleOf } from "../../src/model/sample.js";
import type { Notifier } from "../../src/notify/notifier.js";

export const T0 = Date.UTC(2026, 11, 1, 10, 0, 0);
export const TOKEN = "s3cret-token-0123456789abcdef";

/** Every host rule off but CPU (warning 80, at once): this machine's own state cannot add alerts. */
export const CPU_ONLY = `
host:
  cpu: { warning: 80, critical: 95, for: 0s }
  memory: { enabled: false }
  swap: { enabled: false }
  load: { enabled: false }
  disk: { enabled: false }
  inodes: { enabled: false }
  reboot: { enabled: false }
`;

export const cpuSample = (value: number): Sample => sampleOf(HOST_CPU, value, { user: value, system: 0, iowait: 0, steal: 0, windowMs: 1000 });
export const diskSample = (mount: string, value: number): Sample =>
  sampleOf(HOST_DISK, value, { device: "/dev/sda1", fstype: "ext4", sizeBytes: 100e9, usedBytes: value * 1e9, freeBytes: (100 - value) * 1e9 }, { mount });

export const WEB: ContainerView = newView("a1b2c3d4e5f60718293a4b5c", {
  name: "shop-web-1",
  image: "nginx:1.27",
  labels: { "com.docker.compose.project": "shop", "com.docker.compose.service": "web" },
  restartCount: 2,
  restartPolicy: "unless-stopped",
  health: "healthy",
  startedAt: T0 - 3600_000,
  memoryLimit: 512 * 1024 * 1024,
});
export const DB: ContainerView = newView("ffeeddccbbaa998877665544", { name: "db", image: "postgres:16", status: "exited", exitCode: 1, finishedAt: T0 - 60_000 });

export interface FakeDocker extends Collector {
  containers(): ContainerView[];
  oomKilledIds(): ReadonlySet<string>;
  logsOf(name: string, tail: number): Promise<string[] | null>;
  views: ContainerView[];
  /** Ids of the containers whose OOM kill the tracker holds. */
  oom: Set<string>;
  logs: Map<string, string[]>;
  fail: Error | null;
  asked: Array<{ name: string; tail: number }>;
}

function fakeDocker(): FakeDocker {
  const d: FakeDocker = {
    name: "docker",
    views: [WEB, DB],
    oom: new Set(),
    logs: new Map([["shop-web-1", ["one", "two", "\x1b[31mred\x1b[0m", "four"]]]),
    fail: null,
    asked: [],
    async collect() {
      const web = { container: "shop-web-1", image: "nginx:1.27", compose_project: "shop", compose_service: "web" };
      return {
        samples: [
          sampleOf(DOCKER_UNREACHABLE, 0),
          sampleOf(CONTAINER_CPU, 3.2, { ofOneCore: 12.8, cores: 4, limited: false }, web),
          sampleOf(CONTAINER_MEMORY, 10, { usageBytes: 53687091, limitBytes: 512 * 1024 * 1024, limited: true }, web),
        ],
      };
    },
    containers: () => d.views,
    oomKilledIds: () => d.oom,
    async logsOf(name, tail) {
      d.asked.push({ name, tail });
      if (d.fail) throw d.fail;
      const lines = d.logs.get(name);
      if (lines === undefined) return d.views.some((v) => v.name === name) ? [] : null;
      return lines.slice(-tail);
    },
  };
  return d;
}

export interface Rig {
  agent: Agent;
  server: HttpServer;
  port: number;
  docker: FakeDocker;
  dir: string;
  /** What the host collector reports next. */
  host: { samples: Sample[] };
  now(): number;
  setNow(t: number): void;
  cycle(at?: number): Promise<void>;
  request(method: string, path: string, opts?: RequestOptions): Promise<Answer>;
  close(): Promise<void>;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Bearer token to send (TOKEN by default when the rig has one; null sends none). */
  token?: string | null;
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read answers' JSON freely
  json: any;
  /** The body's bytes as sent (gzip when asked for). */
  raw: Buffer;
}

export async function startRig(
  opts: {
    yaml?: string;
    token?: string | null;
    pageDir?: string;
    source?: (s: ApiSource) => ApiSource;
    notifiers?: Notifier[] /** More lines under http: (indented). */;
    http?: string;
  } = {},
): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), "lookout-http-"));
  const token = opts.token === undefined ? TOKEN : opts.token;
  const config = join(dir, "lookout.yaml");
  writeFileSync(config, `hostname: web-1\n${opts.yaml ?? CPU_ONLY}\nhttp:\n  listen: 127.0.0.1:0\n${token ? `  auth_token: ${token}\n` : ""}${opts.http ?? ""}`, { mode: 0o600 });
  const loaded = loadConfig({ configPath: config, dataDir: join(dir, "data"), env: {} });
  const host = { samples: [cpuSample(12.5), diskSample("/", 71.3)] };
  const hostCollector: Collector = { name: "host", collect: async () => host.samples };
  const docker = fakeDocker();
  const agent = new Agent(loaded, { command: "run", collectors: [hostCollector, docker], notifiers: opts.notifiers ?? [] });
  let now = T0;
  const settings = httpSettings(loaded)!;
  const source = opts.source ? opts.source(agentSource(agent)) : agentSource(agent);
  const server = await HttpServer.start({ settings, source, clock: () => now, startedAt: T0 - 60_000, ...(opts.pageDir ? { pageDir: opts.pageDir } : {}) });
  const port = server.address.port;
  return {
    agent,
    server,
    port,
    docker,
    dir,
    host,
    now: () => now,
    setNow: (t) => {
      now = t;
    },
    async cycle(at = now) {
      now = at;
      await agent.cycle(at);
    },
    request: (method, path, o = {}) => send(port, method, path, { ...o, token: o.token === undefined ? token : o.token }),
    async close() {
      await server.close();
      await agent.close();
    },
  };
}

/** One request to 127.0.0.1:`port`, answered within 5 s. */
export function send(port: number, method: string, path: string, opts: RequestOptions = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...(opts.token ? { Authorization: `Bearer ${opts.token}` } : {}), ...opts.headers };
    const req = httpRequest({ host: "127.0.0.1", port, method, path, headers, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const raw = Buffer.concat(chunks);
        const text = raw.toString("utf8");
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json, raw });
      });
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer to ${method} ${path} within 5 s`)));
    req.on("error", reject);
    req.end(opts.body);
  });
}

export const JSON_HEADERS = { "Content-Type": "application/json" };
