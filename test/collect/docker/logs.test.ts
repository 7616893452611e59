import { describe, expect, it } from "vitest";
import { Demultiplexer, demultiplex, type LogFrame, lastLines } from "../../../src/collect/docker/logs.js";
import { fixture } from "./fixture-server.js";

/** The recorded container printed 30 lines, every third on stderr, those with an "é". */
const EXPECTED = Array.from({ length: 30 }, (_, k) => {
  const i = k + 1;
  return i % 3 === 0 ? { stream: "stderr", text: `line ${i} err é\n` } : { stream: "stdout", text: `line ${i} out\n` };
});

function byStream(frames: LogFrame[]): { stdout: string; stderr: string; all: string } {
  return {
    stdout: frames
      .filter((f) => f.stream === "stdout")
      .map((f) => f.text)
      .join(""),
    stderr: frames
      .filter((f) => f.stream === "stderr")
      .map((f) => f.text)
      .join(""),
    all: frames.map((f) => f.text).join(""),
  };
}

function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text, "utf8");
  const head = Buffer.alloc(8);
  head[0] = stream;
  head.writeUInt32BE(payload.length, 4);
  return Buffer.concat([head, payload]);
}

describe("demultiplex", () => {
  const recorded = fixture("logs-multiplexed.bin");
  const expected = byStream(EXPECTED as LogFrame[]);

  it("splits the recorded multiplexed body into its 30 frames, stderr tagged", () => {
    expect(demultiplex(recorded)).toEqual(EXPECTED);
  });

  it("gives the same text wherever the body is cut in two (inside headers, payloads, UTF-8 characters)", () => {
    for (let cut = 0; cut <= recorded.length; cut++) {
      const d = new Demultiplexer();
      const frames = [...d.push(recorded.subarray(0, cut)), ...d.push(recorded.subarray(cut)), ...d.end()];
      expect(byStream(frames), `cut at ${cut}`).toEqual(expected);
    }
  });

  it("gives the same text when the body comes one byte at a time", () => {
    const d = new Demultiplexer();
    const frames: LogFrame[] = [];
    for (let i = 0; i < recorded.length; i++) frames.push(...d.push(recorded.subarray(i, i + 1)));
    frames.push(...d.end());
    expect(byStream(frames)).toEqual(expected);
  });

  it("keeps the text of a trailing frame cut short, and drops a trailing partial header", () => {
    const body = Buffer.concat([frame(1, "complete\n"), frame(2, "cut short here\n")]);
    const cutInPayload = body.subarray(0, body.length - 6);
    expect(demultiplex(cutInPayload)).toEqual([
      { stream: "stdout", text: "complete\n" },
      { stream: "stderr", text: "cut short" },
    ]);
    const cutInHeader = Buffer.concat([frame(1, "complete\n"), frame(2, "x").subarray(0, 5)]);
    expect(demultiplex(cutInHeader)).toEqual([{ stream: "stdout", text: "complete\n" }]);
  });

  it("takes a body that is not multiplexed (a TTY) as raw stdout text", () => {
    const tty = fixture("logs-tty.bin");
    const frames = demultiplex(tty);
    expect(frames.every((f) => f.stream === "stdout")).toBe(true);
    expect(frames.map((f) => f.text).join("")).toBe(tty.toString("utf8"));
    expect(demultiplex(Buffer.from("hi"))).toEqual([{ stream: "stdout", text: "hi" }]);
    expect(demultiplex(Buffer.alloc(0))).toEqual([]);
  });

  it("switches to raw text when a header goes bad half-way", () => {
    const body = Buffer.concat([frame(1, "framed\n"), Buffer.from("plain text after\n")]);
    expect(byStream(demultiplex(body)).all).toBe("framed\nplain text after\n");
  });

  it("handles empty frames", () => {
    expect(demultiplex(Buffer.concat([frame(1, ""), frame(2, "e\n")]))).toEqual([{ stream: "stderr", text: "e\n" }]);
  });
});

describe("lastLines", () => {
  it("returns the last n lines, oldest first, without line ends", () => {
    expect(lastLines("a\nb\nc\n", 2)).toEqual(["b", "c"]);
    expect(lastLines("a\nb\nc", 2)).toEqual(["b", "c"]);
    expect(lastLines("a\r\nb\r\n", 5)).toEqual(["a", "b"]);
    expect(lastLines("a\n\nb\n", 3)).toEqual(["a", "", "b"]);
  });

  it("returns nothing for n ≤ 0 or no text", () => {
    expect(lastLines("a\n", 0)).toEqual([]);
    expect(lastLines("", 3)).toEqual([]);
  });

  it("gives the last 20 of the recorded 30 lines, stderr included", () => {
    const text = demultiplex(fixture("logs-multiplexed.bin"))
      .map((f) => f.text)
      .join("");
    const lines = lastLines(text, 20);
    expect(lines).toHaveLength(20);
    expect(lines[0]).toBe("line 11 out");
    expect(lines[19]).toBe("line 30 err é");
    expect(lastLines(fixture("logs-tty.bin").toString("utf8"), 1)).toEqual(["line 30 err é"]);
  });
});
