import { describe, expect, it } from "vitest";
import { configSchema } from "../../src/config/schema.js";
import type { Notification } from "../../src/model/notification.js";
import { matchingRoutes, reminderStepMs, route, routesFrom } from "../../src/notify/routing.js";
import { sampleNotification, T0 } from "../support/sample-notification.js";

const H = 3_600_000;
const config = (notify: unknown) => configSchema.parse({ notify });

const crash = (kind: Notification["kind"] = "firing", severity: "warning" | "critical" = "critical") =>
  sampleNotification({
    kind,
    alert: {
      fingerprint: 'container_crashed{container="db-1"}',
      alertname: "container_crashed",
      severity,
      maxSeverity: "critical",
      labels: { alertname: "container_crashed", container: "db-1", severity, hostname: "web-1" },
    },
  });
const disk = (kind: Notification["kind"] = "firing") =>
  sampleNotification({
    kind,
    alert: {
      fingerprint: 'host_disk{mount="/"}',
      alertname: "host_disk",
      severity: "warning",
      maxSeverity: "warning",
      labels: { alertname: "host_disk", mount: "/", severity: "warning", hostname: "web-1" },
    },
  });

// The example: critical to #oncall, warnings to #monitoring with a 24h reminder.
const routes = routesFrom(
  config({
    repeat_interval: "4h",
    routes: [
      { receiver: "oncall", min_severity: "critical", repeat_interval: "1h", continue: true },
      { receiver: "monitoring", min_severity: "warning", repeat_interval: "24h" },
      { receiver: "never", min_severity: "warning" },
    ],
  }),
  ["oncall", "monitoring", "never"],
);

describe("routes", () => {
  it("without notify.routes, every receiver has a route that takes everything, reminded every repeat_interval", () => {
    const r = routesFrom(config({ repeat_interval: "4h" }), ["slack[0]", "pager"]);
    expect(r.map((x) => [x.receiver, x.continue, x.repeatIntervalMs])).toEqual([
      ["slack[0]", true, 4 * H],
      ["pager", true, 4 * H],
    ]);
    expect(route(disk(), r, undefined, T0).receivers).toEqual(["slack[0]", "pager"]);
    expect(reminderStepMs(r, 4 * H)).toBe(4 * H);
    expect(reminderStepMs([], 4 * H)).toBe(4 * H);
  });

  it("critical goes to oncall and on (continue), warnings stop at monitoring; the first match without continue wins", () => {
    expect(route(crash(), routes, undefined, T0).receivers).toEqual(["oncall", "monitoring"]);
    expect(route(disk(), routes, undefined, T0).receivers).toEqual(["monitoring"]);
  });

  it("matches labels with globs; every matcher must hold", () => {
    const r = routesFrom(config({ routes: [{ receiver: "dba", match: ["alertname=container_*", "container=db-?"] }, { receiver: "rest" }] }), ["dba", "rest"]);
    expect(matchingRoutes(crash(), r).map((x) => x.receiver)).toEqual(["dba"]);
    const web = sampleNotification({ alert: { labels: { alertname: "container_crashed", container: "web-1", severity: "warning" } } });
    expect(matchingRoutes(web, r).map((x) => x.receiver)).toEqual(["rest"]);
  });

  it("routes a resolved alert as its highest severity, so it goes where its firing went", () => {
    const resolved = crash("resolved", "warning"); // de-escalated to warning before it resolved
    expect(route(resolved, routes, undefined, T0).receivers).toEqual(["oncall", "monitoring"]);
    const r = routesFrom(config({ routes: [{ receiver: "crit", match: "severity=critical" }] }), ["crit"]);
    expect(route(resolved, r, undefined, T0).receivers).toEqual(["crit"]);
  });

  it("reminds each route at its own repeat_interval: oncall hourly, monitoring daily", () => {
    expect(reminderStepMs(routes, 4 * H)).toBe(H);
    const fired = route(crash(), routes, undefined, T0);
    expect(fired.toldAt).toEqual({ "routes[0]:oncall": T0, "routes[1]:monitoring": T0 });
    let told = fired.toldAt;
    const got: string[][] = [];
    for (let h = 1; h <= 24; h++) {
      const r = route(crash("reminder"), routes, told, T0 + h * H);
      told = r.toldAt;
      if (r.receivers.length > 0) got.push([String(h), ...r.receivers]);
    }
    expect(got.filter((g) => g.includes("oncall"))).toHaveLength(24);
    expect(got.filter((g) => g.includes("monitoring"))).toEqual([["24", "oncall", "monitoring"]]);
  });

  it("sends no reminders on a route with repeat_interval 0, and none when every route has 0", () => {
    const r = routesFrom(
      config({
        routes: [
          { receiver: "a", repeat_interval: 0, continue: true },
          { receiver: "b", repeat_interval: "2h" },
        ],
      }),
      ["a", "b"],
    );
    expect(reminderStepMs(r, 4 * H)).toBe(2 * H);
    const told = route(disk(), r, undefined, T0).toldAt;
    expect(route(disk("reminder"), r, told, T0 + 2 * H).receivers).toEqual(["b"]);
    const none = routesFrom(config({ routes: [{ receiver: "a", repeat_interval: 0 }] }), ["a"]);
    expect(reminderStepMs(none, 4 * H)).toBe(0);
  });

  it("an alert no route takes goes nowhere", () => {
    const r = routesFrom(config({ routes: [{ receiver: "dba", match: "container=db-*" }] }), ["dba"]);
    expect(route(disk(), r, undefined, T0).receivers).toEqual([]);
  });
});
