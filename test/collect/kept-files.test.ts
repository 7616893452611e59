/**
 * Kept files (collect/kept-files.ts): read whole from their start each time,
 * into one shared buffer that grows for a file larger than it (a host with
 * many containers has a /proc/self/mountinfo of tens of KiB).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { KeptFiles } from "../../src/collect/kept-files.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function dir(): string {
  const d = mkdtempSync(join(tmpdir(), "lookout-kept-"));
  dirs.push(d);
  return d;
}

describe("KeptFiles", () => {
  it("reads a file whole from its start each time, larger than the buffer, shorter or longer than before", () => {
    const d = dir();
    const big = join(d, "big");
    const small = join(d, "small");
    // Lines of different lengths, past the shared buffer's first 16 KiB and its growth to 32 KiB.
    const text = Array.from({ length: 1500 }, (_, i) => `line ${i} ${"x".repeat(i % 37)}`).join("\n");
    expect(text.length).toBeGreaterThan(40 * 1024);
    writeFileSync(big, text);
    writeFileSync(small, "7\n");
    const budget = { kept: 0 };
    const files = new KeptFiles(budget);
    expect(files.read(big)).toBe(text);
    expect(files.read(small)).toBe("7\n");
    expect(files.read(big)).toBe(text); // kept open, read again from its start
    expect(budget.kept).toBe(2);
    writeFileSync(small, "123456789\n");
    expect(files.read(small)).toBe("123456789\n");
    writeFileSync(big, "short\n");
    expect(files.read(big)).toBe("short\n");
    files.closeAll();
    expect(budget.kept).toBe(0);
  });
});
