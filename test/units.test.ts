/**
 * src/units.ts's isoTime: the same text as `Date.prototype.toISOString` for every time Lookout writes, made from the
 * date's UTC fields (V8's own sets up the local time zone the first time it is called).
 */
import { describe, expect, it } from "vitest";
import { formatTime, isoTime } from "../src/units.js";

describe("isoTime", () => {
  it("writes what toISOString writes, to the millisecond, across years 0 to 9999", () => {
    const edges = [0, -1, 1, 999, 1000, -62_167_219_200_000, 253_402_300_799_999, Date.UTC(2026, 11, 3, 4, 5, 6, 7), Date.UTC(2024, 1, 29, 23, 59, 59, 990)];
    // a deterministic spread over the range (no Math.random: a failure must be reproducible)
    for (let i = 0, x = 12345; i < 2000; i++) {
      x = (x * 1103515245 + 12345) % 2147483648;
      edges.push(-62_167_219_200_000 + Math.floor((x / 2147483648) * (253_402_300_799_999 + 62_167_219_200_000)));
    }
    for (const ms of edges) expect(isoTime(ms), String(ms)).toBe(new Date(ms).toISOString());
  });

  it("leaves years outside 0–9999 to V8, and an invalid time throws as toISOString does", () => {
    for (const ms of [253_402_300_800_000, -62_167_219_200_001, 8.64e15, -8.64e15]) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
  });

  it("formatTime writes it to the second, and 'unknown' for no time", () => {
    expect(formatTime(Date.UTC(2026, 10, 30, 3, 12, 0, 450))).toBe("2026-11-30T03:12:00Z");
    expect(formatTime(Number.NaN)).toBe("unknown");
  });
});
