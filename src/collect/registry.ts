import type { LoadedConfig } from "../config/loaded.js";
import type { Collector } from "./collector.js";
import { DockerCollector } from "./docker/docker.js";
import { HostCollector } from "./host/host.js";

/** Every collector (Telegraf's inputs). A new one is one file and one line here. */
export function createCollectors(loaded: LoadedConfig): Collector[] {
  return [new HostCollector({ hostRoot: loaded.hostRoot }), new DockerCollector({ config: loaded.config, hostRoot: loaded.hostRoot })];
}
