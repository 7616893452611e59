import { formatDuration } from "../config/duration.js";
import { formatBytes, formatPercent, formatTime as iso } from "../units.js";
import type { RuleDefinition } from "./rule.js";

const num = (v: string | number | undefined): number => (typeof v === "number" ? v : Number(v ?? NaN));

export const hostRules: RuleDefinition[] = [
  {
    alertname: "host_rebooted",
    configKey: "host.reboot",
    settings: (c) => ({ enabled: c.host.reboot.enabled, warning: 1, critical: c.host.reboot.severity === "critical" ? 1 : null, for: 0, hysteresis: 0 }),
    display: () => "Reboot",
    quietResolve: true,
    summary: (s) => {
      const i = s.info ?? {};
      if (s.value === 0) return "No reboot in the last 10 minutes";
      const down = num(i.boot_at) - num(i.last_seen_up_at);
      return `Host rebooted at ${iso(num(i.boot_at))}` + (down > 0 ? ` (down about ${formatDuration(down)})` : "");
    },
    facts: (s) => {
      const i = s.info ?? {};
      return [
        { label: "Booted", value: iso(num(i.boot_at)) },
        { label: "Last seen up", value: iso(num(i.last_seen_up_at)) },
        { label: "Previous boot", value: `${iso(num(i.previous_boot_at))} (up ${formatDuration(Math.max(0, num(i.last_seen_up_at) - num(i.previous_boot_at)))})` },
      ];
    },
  },
  {
    alertname: "host_cpu",
    configKey: "host.cpu",
    settings: (c) => c.host.cpu,
    display: () => "CPU",
    facts: (s) => {
      const i = s.info ?? {};
      return [
        {
          label: "Split",
          value: `user ${formatPercent(num(i.user))} · system ${formatPercent(num(i.system))} · iowait ${formatPercent(num(i.iowait))} · steal ${formatPercent(num(i.steal))}`,
        },
      ];
    },
    topProcesses: "cpu",
  },
  {
    alertname: "host_memory",
    configKey: "host.memory",
    settings: (c) => c.host.memory,
    display: () => "Memory",
    facts: (s) => {
      const i = s.info ?? {};
      return [
        { label: "Used", value: `${formatBytes(num(i.used_bytes))} of ${formatBytes(num(i.total_bytes))}` },
        { label: "Available", value: formatBytes(num(i.available_bytes)) },
      ];
    },
    topProcesses: "memory",
  },
  {
    alertname: "host_swap",
    configKey: "host.swap",
    settings: (c) => c.host.swap,
    display: () => "Swap",
    facts: (s) => {
      const i = s.info ?? {};
      return [{ label: "Used", value: `${formatBytes(num(i.total_bytes) - num(i.free_bytes))} of ${formatBytes(num(i.total_bytes))}` }];
    },
    topProcesses: "memory",
  },
  {
    alertname: "host_disk",
    configKey: "host.disk",
    settings: (c) => c.host.disk,
    selects: (s, c) => c.host.disk.mounts.length === 0 || c.host.disk.mounts.includes(s.labels.mount ?? ""),
    display: (s) => `Disk ${s.labels.mount}`,
    gone: "no longer mounted",
    facts: (s) => {
      const i = s.info ?? {};
      return [
        { label: "Mount", value: String(s.labels.mount) },
        { label: "Free", value: `${formatBytes(num(i.free_bytes))} of ${formatBytes(num(i.size_bytes))}` },
        { label: "Device", value: `${i.device ?? "?"} (${i.fstype ?? "?"})` },
      ];
    },
  },
  {
    alertname: "host_inodes",
    configKey: "host.inodes",
    settings: (c) => c.host.inodes,
    selects: (s, c) => c.host.disk.mounts.length === 0 || c.host.disk.mounts.includes(s.labels.mount ?? ""),
    display: (s) => `Inodes ${s.labels.mount}`,
    gone: "no longer mounted",
    facts: (s) => {
      const i = s.info ?? {};
      return [
        { label: "Mount", value: String(s.labels.mount) },
        { label: "Free inodes", value: `${num(i.inodes_free).toLocaleString("en-US")} of ${num(i.inodes).toLocaleString("en-US")}` },
      ];
    },
  },
  {
    alertname: "host_load",
    configKey: "host.load",
    settings: (c) => c.host.load,
    display: () => "Load",
    facts: (s) => {
      const i = s.info ?? {};
      return [
        { label: "Per core (5m)", value: `${s.value.toFixed(2)} on ${num(i.cores)} cores` },
        { label: "Load 1/5/15m", value: `${num(i.load1).toFixed(2)} / ${num(i.load5).toFixed(2)} / ${num(i.load15).toFixed(2)}` },
      ];
    },
    topProcesses: "cpu",
  },
];
