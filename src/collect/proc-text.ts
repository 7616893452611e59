/**
 * Splitting the text of /proc and cgroup files, shared by the collectors that
 * read them by hand (collect/host/procfs.ts, collect/docker/cgroup.ts): small
 * and hot, so no regex per call.
 */

/** Splits on runs of spaces/tabs. */
export function fields(line: string): string[] {
  const out: string[] = [];
  let start = -1;
  for (let i = 0; i <= line.length; i++) {
    const c = i < line.length ? line.charCodeAt(i) : 32;
    if (c === 32 || c === 9) {
      if (start >= 0) {
        out.push(line.slice(start, i));
        start = -1;
      }
    } else if (start < 0) {
      start = i;
    }
  }
  return out;
}
