/**
 * Likely causes added to a message, so it says why and not only what: a
 * container that died while the filesystem it writes to (Docker's data root,
 * its bind mounts and volumes) was full most likely died of that. Pure.
 */

import { type Messages, messages } from "../i18n/messages.js";
import { CONTAINER_DEATH_METRICS, HOST_DISK } from "../model/metrics.js";
import type { Fact } from "../model/notification.js";
import { isSampleOf, type Sample, type SampleOf } from "../model/sample.js";
import { formatBytes, formatPercent } from "../units.js";

/** Used % at or above which a filesystem counts as full (df shows 100%). */
export const DISK_FULL_PERCENT = 99.5;

/** Alerts about a container dying, whose cause a full disk can be. */
export const CONTAINER_DEATHS: ReadonlySet<string> = new Set(CONTAINER_DEATH_METRICS);

/** The mount (of `mounts`) a path lives on: the longest mount point that contains it. */
export function mountOf(path: string, mounts: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const m of mounts) {
    const inside = m === "/" ? path.startsWith("/") : path === m || path.startsWith(`${m}/`);
    if (inside && (best === undefined || m.length > best.length)) best = m;
  }
  return best;
}

/**
 * "Likely cause: disk full" when a filesystem one of `paths` is on is full now
 * (host_disk samples of this cycle; other samples are passed over). A dying
 * container's paths are `writesToOf(sample)` (model/sample.ts).
 */
export function diskFullCause(paths: readonly string[], samples: readonly Sample[], m: Messages = messages()): Fact | undefined {
  const disks = samples.filter((s): s is SampleOf<typeof HOST_DISK> => isSampleOf(s, HOST_DISK) && s.labels.mount !== undefined && s.labels.mount !== "");
  const byMount = new Map(disks.map((d) => [d.labels.mount!, d]));
  const full = new Map<string, string[]>();
  for (const p of paths) {
    const mount = mountOf(p, [...byMount.keys()]);
    if (mount === undefined || byMount.get(mount)!.value < DISK_FULL_PERCENT) continue;
    full.set(mount, [...(full.get(mount) ?? []), p]);
  }
  if (full.size === 0) return undefined;
  const parts = [...full].map(([mount, ps]) => {
    const d = byMount.get(mount)!;
    return m.t("cause.diskFull.part", { mount, percent: formatPercent(d.value), free: formatBytes(d.details.freeBytes), paths: ps.join(m.t("list.sep")) });
  });
  return { label: m.t("cause.label"), value: m.t("cause.diskFull", { parts: parts.join(m.t("cause.sep")) }) };
}
