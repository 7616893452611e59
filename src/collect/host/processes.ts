/**
 * Per-process CPU and memory from /proc/[pid]/stat, for the "top processes"
 * block of a CPU or memory alert. Reads files only: no `ps`, no `top`.
 */

import { readdirSync } from "node:fs";
import { monotonicMs, sleep } from "../../clock.js";
import { readFile } from "../../fs-async.js";
import type { ProcessUsage } from "../../model/notification.js";
import { type PidStat, parseMeminfo, parsePidStat, USER_HZ } from "./procfs.js";

/**
 * Bytes per page for /proc/[pid]/stat's rss. Node cannot call sysconf(_SC_PAGESIZE);
 * 4 KiB is the page size on x86-64 and on the arm64 kernels of mainstream
 * distributions (64 KiB arm64 kernels would under-report RSS 16×).
 */
export const PAGE_SIZE = 4096;

export interface TopProcessesOptions {
  /** "" for the real root. */
  hostRoot: string;
  by: "cpu" | "memory";
  /** Default 5. */
  limit?: number;
  /** Time between the two readings, default 500 ms. */
  windowMs?: number;
}

function isPid(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** The pids in /proc: a directory the kernel makes from memory, listed on this thread (a thread-pool round trip costs more). */
function listPids(hostRoot: string): string[] {
  return readdirSync(`${hostRoot}/proc`).filter(isPid);
}

/** Processes (not threads: those live under /proc/[pid]/task) in /proc. */
export async function countProcesses(hostRoot: string): Promise<number> {
  return listPids(hostRoot).length;
}

/** Reads all stat files, a few at a time (thousands of processes must not mean thousands of open files). */
async function readStats(hostRoot: string, pids: string[]): Promise<Map<number, PidStat>> {
  const out = new Map<number, PidStat>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < pids.length) {
      const pid = pids[next++];
      try {
        const st = parsePidStat(await readFile(`${hostRoot}/proc/${pid}/stat`, "utf8"));
        out.set(st.pid, st);
      } catch {
        // exited between readdir and read, or unreadable: skip silently
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(32, pids.length) }, worker));
  return out;
}

async function memTotal(hostRoot: string): Promise<number | undefined> {
  try {
    return parseMeminfo(await readFile(`${hostRoot}/proc/meminfo`, "utf8")).totalBytes;
  } catch {
    return undefined;
  }
}

/**
 * The processes using the most CPU (over `windowMs`) or memory (RSS) now.
 * cpuPercent: Δ(utime+stime) / (USER_HZ × seconds) × 100 — 100 = one core, as top shows.
 * memoryPercent: RSS / MemTotal × 100. Processes that exit in between are left out.
 */
export async function topProcesses(opts: TopProcessesOptions): Promise<ProcessUsage[]> {
  const limit = opts.limit ?? 5;
  const windowMs = opts.windowMs ?? 500;
  const total = await memTotal(opts.hostRoot);

  const s1 = monotonicMs();
  const first = await readStats(opts.hostRoot, listPids(opts.hostRoot));
  const e1 = monotonicMs();
  await sleep(windowMs);
  const s2 = monotonicMs();
  const second = await readStats(opts.hostRoot, listPids(opts.hostRoot));
  const e2 = monotonicMs();
  // each process was read once per pass at about the same offset: the window is midpoint to midpoint
  const seconds = Math.max((s2 + e2) / 2 - (s1 + e1) / 2, 1) / 1000;

  const rows: ProcessUsage[] = [];
  for (const cur of second.values()) {
    const prev = first.get(cur.pid);
    // a process started within the window (or a reused pid) ran all its ticks inside it
    const base = prev && prev.starttime === cur.starttime ? prev.utime + prev.stime : 0;
    const ticks = Math.max(0, cur.utime + cur.stime - base);
    const rssBytes = Math.max(0, cur.rssPages) * PAGE_SIZE;
    rows.push({
      pid: cur.pid,
      name: cur.comm,
      cpuPercent: (ticks / (USER_HZ * seconds)) * 100,
      memoryPercent: total ? (rssBytes / total) * 100 : 0,
      rssBytes,
    });
  }
  const key = opts.by === "cpu" ? "cpuPercent" : "memoryPercent";
  const other = opts.by === "cpu" ? "memoryPercent" : "cpuPercent";
  rows.sort((a, b) => b[key] - a[key] || b[other] - a[other] || a.pid - b.pid);
  return rows.slice(0, limit).map((r) => ({
    ...r,
    cpuPercent: Math.round(r.cpuPercent * 10) / 10,
    memoryPercent: Math.round(r.memoryPercent * 100) / 100,
  }));
}
