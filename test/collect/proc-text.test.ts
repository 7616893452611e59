import { describe, expect, it } from "vitest";
import { fields } from "../../src/collect/proc-text.js";

describe("fields", () => {
  it("splits on runs of spaces and tabs, with nothing empty, as the kernel's files pad them", () => {
    expect(fields("MemTotal:       24683584 kB")).toEqual(["MemTotal:", "24683584", "kB"]);
    expect(fields(" 254       0 vda 253669 14715 ")).toEqual(["254", "0", "vda", "253669", "14715"]);
    expect(fields("cpu  10 20\t30")).toEqual(["cpu", "10", "20", "30"]);
    expect(fields("\t a \t\t b\t")).toEqual(["a", "b"]);
    expect(fields("one")).toEqual(["one"]);
    expect(fields("")).toEqual([]);
    expect(fields("   ")).toEqual([]);
    expect(fields("\t")).toEqual([]);
  });
});
