/**
 * Kernel files kept open and read again with one pread at offset 0 (the
 * kernel makes a /proc, /sys or cgroup file anew on each read from its
 * start), into one buffer shared by every reader: the container figure
 * sweep (docker/cgroup-reader.ts) and the host collector's /proc files.
 * Hand-written and small on purpose: these reads run for every file on every
 * cycle, where `readFileSync` opens, stats, allocates and closes each time.
 * Synchronous: such files are made from memory and never wait for a disk.
 */

import { closeSync, openSync, readSync, readvSync, statfsSync } from "node:fs";

/** The one buffer every kept file is read into (memory.stat, the largest figure file, is a few KiB); grown if a file is bigger. */
let buffer = Buffer.allocUnsafe(16 * 1024);
/**
 * `[buffer]`, for a file's first read: `readvSync(fd, whole, 0)` is a pread
 * at 0 into the whole buffer, as `readSync(fd, buffer, 0, length, 0)`, with
 * less of Node's argument checking (under --lite-mode ~1 µs and a few small
 * objects less a read; a cycle makes about 80).
 */
let whole = [buffer];

/**
 * Files kept open across sweeps, at most: each running container has about 7
 * (Node raises its own open-file limit to the hard limit, 524288 under
 * systemd; this leaves room for everything else). Beyond it, files are opened
 * and closed on each read.
 */
export const MAX_KEPT_FILES = 4096;

/**
 * A read that leaves at least this much of the buffer unused has reached the
 * end of the file: the kernel makes these files with seq_file, whose read
 * fills the buffer with whole records (lines, or the whole text at once) and
 * stops short only at the end or before a record longer than what is left
 * (their lines are a few hundred bytes at most). The read that would return
 * 0 is then not made: half of a sweep's reads.
 */
const SURELY_ENDED = 4096;

/** The whole of a kernel file open as `fd`, read from its start (pread at 0: the kernel makes it anew) into the shared buffer: its length. */
function readWhole(fd: number): number {
  let total = readvSync(fd, whole, 0);
  if (total === 0 || buffer.length - total >= SURELY_ENDED) return total;
  for (;;) {
    if (total === buffer.length) {
      const bigger = Buffer.allocUnsafe(buffer.length * 2);
      buffer.copy(bigger, 0, 0, total);
      buffer = bigger;
      whole = [buffer];
    }
    const n = readSync(fd, buffer, total, buffer.length - total, total);
    if (n === 0) break;
    total += n;
    if (buffer.length - total >= SURELY_ENDED) break;
  }
  return total;
}

/** procfs's f_type (statfs(2)): the kernel's /proc, wherever it is mounted (/proc, /host/proc). */
const PROC_SUPER_MAGIC = 0x9fa0;

/**
 * Whether `path` is on a procfs: a file the kernel makes anew on each read and
 * never replaces, so one kept open reads what a fresh open would. A file
 * elsewhere (a host root of copies, as tests make, written by renaming a new
 * file over the old) is read afresh each time.
 */
export function onProcfs(path: string): boolean {
  try {
    return statfsSync(path).type === PROC_SUPER_MAGIC;
  } catch {
    return false;
  }
}

/**
 * Files kept open between reads: reading one again is a single pread instead
 * of open, read and close (measured: 0.5 ms instead of 2.7 ms for 20
 * containers' 140 figure files). Closed when dropped by its owner (a container
 * forgotten, or found again: a restart makes a new cgroup), when a read fails,
 * or on `closeAll`. `keep` decides once per path, at its first open, whether
 * it is kept (default: every file, up to MAX_KEPT_FILES with the others of
 * the same budget).
 */
export class KeptFiles {
  private readonly fds = new Map<string, number>();
  /** Paths `keep` refused: opened, read and closed each time. */
  private readonly notKept = new Set<string>();
  constructor(
    private readonly budget: { kept: number },
    private readonly keep: (path: string) => boolean = () => true,
  ) {}

  /** The file's text (latin1: figure files are ASCII; utf8 for text that may name things, as mountinfo). Throws as fs does (with `code` and `path`). */
  read(path: string, encoding: "latin1" | "utf8" = "latin1"): string {
    // Read first: a file larger than the buffer replaces it (`buffer.toString(…, this.readInto(path))` would take the
    // old one, and cut a long /proc/self/mountinfo at its size).
    const length = this.readInto(path);
    return buffer.toString(encoding, 0, length);
  }

  /** The file read into the shared `buffer`: its length (the buffer holds it until the next read). Throws as `read`. */
  readInto(path: string): number {
    const kept = this.fds.get(path);
    if (kept !== undefined) {
      try {
        const length = readWhole(kept);
        if (length > 0) return length;
      } catch {
        /* gone since (its cgroup removed, its process ended): opened anew below, which says why if it still fails */
      }
      this.drop(path, kept);
    }
    const fd = openSync(path, "r");
    let keep = false;
    try {
      const length = readWhole(fd);
      if (this.budget.kept < MAX_KEPT_FILES && !this.notKept.has(path)) {
        keep = this.keep(path);
        if (!keep && this.notKept.size < MAX_KEPT_FILES) this.notKept.add(path);
      }
      return length;
    } finally {
      if (keep) {
        this.fds.set(path, fd);
        this.budget.kept++;
      } else closeSync(fd);
    }
  }

  /** `read`, null when the file cannot be read (optional figures). */
  readOptional(path: string | null): string | null {
    if (path === null) return null;
    try {
      return this.read(path);
    } catch {
      return null;
    }
  }

  closeAll(): void {
    for (const [path, fd] of this.fds) this.drop(path, fd);
  }

  private drop(path: string, fd: number): void {
    this.fds.delete(path);
    this.budget.kept--;
    try {
      closeSync(fd);
    } catch {
      /* already closed */
    }
  }
}

/** The shared buffer as it is now: `readInto`'s bytes are at its start until the next read (a file larger than it replaces it). */
export function keptBuffer(): Buffer {
  return buffer;
}
