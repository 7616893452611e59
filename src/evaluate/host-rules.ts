import { formatDuration } from "../config/duration.js";
import { HOST_CPU, HOST_DISK, HOST_INODES, HOST_LOAD, HOST_MEMORY, HOST_REBOOTED, HOST_SWAP } from "../model/metrics.js";
import { formatBytes, formatPercent, formatTime as iso } from "../units.js";
import { defineRule, type RuleDefinition } from "./rule.js";

export const hostRules: RuleDefinition[] = [
  defineRule(HOST_REBOOTED, {
    configKey: "host.reboot",
    settings: (c) => ({ enabled: c.host.reboot.enabled, warning: 1, critical: c.host.reboot.severity === "critical" ? 1 : null, for: 0, hysteresis: 0 }),
    display: () => "Reboot",
    quietResolve: true,
    summary: (s) => {
      const d = s.details;
      if (s.value === 0 || !d) return "No reboot in the last 10 minutes";
      const down = d.bootAt - d.lastSeenUpAt;
      return `Host rebooted at ${iso(d.bootAt)}` + (down > 0 ? ` (down about ${formatDuration(down)})` : "");
    },
    facts: (s) => {
      const d = s.details;
      if (!d) return [];
      return [
        { label: "Booted", value: iso(d.bootAt) },
        { label: "Last seen up", value: iso(d.lastSeenUpAt) },
        { label: "Previous boot", value: `${iso(d.previousBootAt)} (up ${formatDuration(Math.max(0, d.lastSeenUpAt - d.previousBootAt))})` },
      ];
    },
  }),
  defineRule(HOST_CPU, {
    configKey: "host.cpu",
    settings: (c) => c.host.cpu,
    display: () => "CPU",
    facts: ({ details: d }) => [
      {
        label: "Split",
        value: `user ${formatPercent(d.user)} · system ${formatPercent(d.system)} · iowait ${formatPercent(d.iowait)} · steal ${formatPercent(d.steal)}`,
      },
    ],
    topProcesses: "cpu",
  }),
  defineRule(HOST_MEMORY, {
    configKey: "host.memory",
    settings: (c) => c.host.memory,
    display: () => "Memory",
    facts: ({ details: d }) => [
      { label: "Used", value: `${formatBytes(d.usedBytes)} of ${formatBytes(d.totalBytes)}` },
      { label: "Available", value: formatBytes(d.availableBytes) },
    ],
    topProcesses: "memory",
  }),
  defineRule(HOST_SWAP, {
    configKey: "host.swap",
    settings: (c) => c.host.swap,
    display: () => "Swap",
    facts: ({ details: d }) => [{ label: "Used", value: `${formatBytes(d.totalBytes - d.freeBytes)} of ${formatBytes(d.totalBytes)}` }],
    topProcesses: "memory",
  }),
  defineRule(HOST_DISK, {
    configKey: "host.disk",
    settings: (c) => c.host.disk,
    selects: (s, c) => c.host.disk.mounts.length === 0 || c.host.disk.mounts.includes(s.labels.mount ?? ""),
    display: (s) => `Disk ${s.labels.mount}`,
    gone: "no longer mounted",
    facts: (s) => [
      { label: "Mount", value: String(s.labels.mount) },
      { label: "Free", value: `${formatBytes(s.details.freeBytes)} of ${formatBytes(s.details.sizeBytes)}` },
      { label: "Device", value: `${s.details.device} (${s.details.fstype})` },
    ],
  }),
  defineRule(HOST_INODES, {
    configKey: "host.inodes",
    settings: (c) => c.host.inodes,
    selects: (s, c) => c.host.disk.mounts.length === 0 || c.host.disk.mounts.includes(s.labels.mount ?? ""),
    display: (s) => `Inodes ${s.labels.mount}`,
    gone: "no longer mounted",
    facts: (s) => [
      { label: "Mount", value: String(s.labels.mount) },
      { label: "Free inodes", value: `${s.details.inodesFree.toLocaleString("en-US")} of ${s.details.inodes.toLocaleString("en-US")}` },
    ],
  }),
  defineRule(HOST_LOAD, {
    configKey: "host.load",
    settings: (c) => c.host.load,
    display: () => "Load",
    facts: (s) => [
      { label: "Per core (5m)", value: `${s.value.toFixed(2)} on ${s.details.cores} cores` },
      { label: "Load 1/5/15m", value: `${s.details.load1.toFixed(2)} / ${s.details.load5.toFixed(2)} / ${s.details.load15.toFixed(2)}` },
    ],
    topProcesses: "cpu",
  }),
];
