import type { Notification } from "../../src/model/notification.js";

export const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);

type Overrides = Partial<Omit<Notification, "alert" | "details">> & {
  alert?: Partial<Notification["alert"]>;
  details?: Partial<Notification["details"]>;
};

/** A CPU alert on web-1: active since T0, firing since T0+1m, notified at T0+3m. */
export function sampleNotification(o: Overrides = {}): Notification {
  const base: Notification = {
    id: "n-0001",
    kind: "firing",
    hostname: "web-1",
    at: T0 + 3 * 60_000,
    alert: {
      fingerprint: 'host_cpu{hostname="web-1"}',
      alertname: "host_cpu",
      labels: { alertname: "host_cpu", severity: "critical", hostname: "web-1" },
      severity: "critical",
      display: "CPU",
      value: 97.24,
      threshold: 95,
      unit: "%",
      activeSince: T0,
      firingSince: T0 + 60_000,
      peak: 97.24,
      maxSeverity: "critical",
    },
    details: {
      facts: [
        { label: "Load", value: "7.9 / 8 cores" },
        { label: "Steal", value: "0.0%" },
      ],
      topProcesses: {
        by: "cpu",
        processes: [
          { pid: 4242, name: "node", cpuPercent: 97.1, memoryPercent: 12.5, rssBytes: 512 * 1024 * 1024 },
          { pid: 17, name: "postgres", cpuPercent: 3.04, memoryPercent: 8, rssBytes: 256 * 1024 * 1024 },
        ],
      },
    },
  };
  return {
    ...base,
    ...o,
    alert: { ...base.alert, ...o.alert },
    details: { ...base.details, ...o.details },
  };
}
