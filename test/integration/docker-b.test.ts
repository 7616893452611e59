/** Docker chain B, on the second rig: the Engine client, inhibition (dockerd killed), delivery (test/integration/suites.ts). */
import { chain } from "./suites.js";

chain(1, {
  engine: () => import("./engine.suite.js"),
  inhibition: () => import("./inhibition.suite.js"),
  delivery: () => import("./delivery.suite.js"),
});
