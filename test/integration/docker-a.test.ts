/** Docker chain A, on the first rig: the container rules end to end, the container image (test/integration/suites.ts). */
import { chain } from "./suites.js";

chain(0, {
  containers: () => import("./containers.suite.js"),
  "capture-fixtures": () => import("./capture-fixtures.suite.js"),
  image: () => import("./image.suite.js"),
});
