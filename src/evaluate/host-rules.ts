import { HOST_CPU, HOST_DISK, HOST_INODES, HOST_LOAD, HOST_MEMORY, HOST_REBOOTED, HOST_SWAP } from "../model/metrics.js";
import { formatBytes, formatPercent } from "../units.js";
import { defineRule, type RuleDefinition } from "./rule.js";

export const hostRules: RuleDefinition[] = [
  defineRule(HOST_REBOOTED, {
    configKey: "host.reboot",
    settings: (c) => ({ enabled: c.host.reboot.enabled, warning: 1, critical: c.host.reboot.severity === "critical" ? 1 : null, for: 0, hysteresis: 0 }),
    display: (_s, m) => m.t("host.reboot.display"),
    quietResolve: true,
    summary: (s, m) => {
      const d = s.details;
      if (s.value === 0 || !d) return m.t("host.reboot.none");
      const down = d.bootAt - d.lastSeenUpAt;
      return m.t("host.reboot.summary", { time: m.time(d.bootAt), down: down > 0 ? m.t("host.reboot.down", { duration: m.duration(down) }) : "" });
    },
    facts: (s, m) => {
      const d = s.details;
      if (!d) return [];
      return [
        { label: m.t("host.reboot.booted"), value: m.time(d.bootAt) },
        { label: m.t("host.reboot.lastSeenUp"), value: m.time(d.lastSeenUpAt) },
        {
          label: m.t("host.reboot.previousBoot"),
          value: m.t("host.reboot.previousBoot.value", { time: m.time(d.previousBootAt), duration: m.duration(Math.max(0, d.lastSeenUpAt - d.previousBootAt)) }),
        },
      ];
    },
  }),
  defineRule(HOST_CPU, {
    configKey: "host.cpu",
    settings: (c) => c.host.cpu,
    display: (_s, m) => m.t("host.cpu.display"),
    facts: ({ details: d }, m) => [
      {
        label: m.t("host.cpu.split"),
        value: m.t("host.cpu.split.value", { user: formatPercent(d.user), system: formatPercent(d.system), iowait: formatPercent(d.iowait), steal: formatPercent(d.steal) }),
      },
    ],
    topProcesses: "cpu",
  }),
  defineRule(HOST_MEMORY, {
    configKey: "host.memory",
    settings: (c) => c.host.memory,
    display: (_s, m) => m.t("host.memory.display"),
    facts: ({ details: d }, m) => [
      { label: m.t("host.used"), value: m.t("host.ofTotal", { used: formatBytes(d.usedBytes), total: formatBytes(d.totalBytes) }) },
      { label: m.t("host.memory.available"), value: formatBytes(d.availableBytes) },
    ],
    topProcesses: "memory",
  }),
  defineRule(HOST_SWAP, {
    configKey: "host.swap",
    settings: (c) => c.host.swap,
    display: (_s, m) => m.t("host.swap.display"),
    facts: ({ details: d }, m) => [{ label: m.t("host.used"), value: m.t("host.ofTotal", { used: formatBytes(d.totalBytes - d.freeBytes), total: formatBytes(d.totalBytes) }) }],
    topProcesses: "memory",
  }),
  defineRule(HOST_DISK, {
    configKey: "host.disk",
    settings: (c) => c.host.disk,
    selects: (s, c) => c.host.disk.mounts.length === 0 || c.host.disk.mounts.includes(s.labels.mount ?? ""),
    display: (s, m) => m.t("host.disk.display", { mount: String(s.labels.mount) }),
    gone: "host.disk.gone",
    facts: (s, m) => [
      { label: m.t("host.disk.mount"), value: String(s.labels.mount) },
      { label: m.t("host.disk.free"), value: m.t("host.ofTotal", { used: formatBytes(s.details.freeBytes), total: formatBytes(s.details.sizeBytes) }) },
      { label: m.t("host.disk.device"), value: m.t("host.disk.device.value", { device: s.details.device, fstype: s.details.fstype }) },
    ],
  }),
  defineRule(HOST_INODES, {
    configKey: "host.inodes",
    settings: (c) => c.host.inodes,
    selects: (s, c) => c.host.disk.mounts.length === 0 || c.host.disk.mounts.includes(s.labels.mount ?? ""),
    display: (s, m) => m.t("host.inodes.display", { mount: String(s.labels.mount) }),
    gone: "host.disk.gone",
    facts: (s, m) => [
      { label: m.t("host.disk.mount"), value: String(s.labels.mount) },
      { label: m.t("host.inodes.free"), value: m.t("host.ofTotal", { used: m.count(s.details.inodesFree), total: m.count(s.details.inodes) }) },
    ],
  }),
  defineRule(HOST_LOAD, {
    configKey: "host.load",
    settings: (c) => c.host.load,
    display: (_s, m) => m.t("host.load.display"),
    facts: (s, m) => [
      { label: m.t("host.load.perCore"), value: m.t("host.load.perCore.value", { value: s.value.toFixed(2), cores: s.details.cores }) },
      { label: m.t("host.load.load"), value: `${s.details.load1.toFixed(2)} / ${s.details.load5.toFixed(2)} / ${s.details.load15.toFixed(2)}` },
    ],
    topProcesses: "cpu",
  }),
];
