/** Docker chain B, on the second rig: the Engine client, container figures from cgroup files, inhibition (dockerd killed), delivery, the dashboard in chromium (test/integration/suites.ts). */
import { chain } from "./suites.js";

chain(1, {
  engine: () => import("./engine.suite.js"),
  "cgroup-stats": () => import("./cgroup-stats.suite.js"),
  inhibition: () => import("./inhibition.suite.js"),
  delivery: () => import("./delivery.suite.js"),
  dashboard: () => import("./dashboard.suite.js"),
});
