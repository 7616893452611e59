/** How quantities are written for people: bytes in IEC units (as `free -h` and `df -h`). */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let v = Math.max(0, bytes);
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${Math.round(v)} B` : `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`;
}

export function formatPercent(p: number): string {
  return `${p.toFixed(1)}%`;
}

function trimNumber(value: number, decimals: number): string {
  return String(Number(value.toFixed(decimals)));
}

/** `97.2%`, `2.53 per core`, `1024 bytes`: how a measured value is shown. */
export function formatValue(value: number, unit: string): string {
  if (!Number.isFinite(value)) return unit ? `${value} ${unit}` : String(value);
  if (unit === "%") return `${value.toFixed(1)}%`;
  if (unit === "per_core") return `${value.toFixed(2)} per core`;
  const number = trimNumber(value, 2);
  return unit ? `${number} ${unit}` : number;
}

/** Thresholds are round numbers people wrote: `95%`, not `95.0%`. */
export function formatThreshold(value: number, unit: string): string {
  if (!Number.isFinite(value)) return formatValue(value, unit);
  if (unit === "%") return `${trimNumber(value, 1)}%`;
  if (unit === "per_core") return `${trimNumber(value, 2)} per core`;
  return formatValue(value, unit);
}

/** A time as people and scripts read it in a message: `2026-11-30T03:12:00Z` (to the second, UTC); "unknown" when there is none. */
export function formatTime(ms: number): string {
  return Number.isFinite(ms) ? isoTime(ms).replace(/\.\d+Z$/, "Z") : "unknown";
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`);

/**
 * `new Date(ms).toISOString()`, written from the date's UTC fields. V8's own, the first time a process calls it,
 * sets up the local time zone (it reads /etc/localtime and ICU's zone data) though it writes UTC: ~0.7 ms and a few
 * dozen page faults of every short command, which writes a time or two and never a local one. Years outside
 * 0–9999 (and an invalid time, which throws a RangeError) are left to V8.
 */
export function isoTime(ms: number): string {
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  if (!(y >= 0 && y <= 9999)) return d.toISOString();
  const milli = d.getUTCMilliseconds();
  return `${String(y).padStart(4, "0")}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}T${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}.${milli < 10 ? "00" : milli < 100 ? "0" : ""}${milli}Z`;
}
