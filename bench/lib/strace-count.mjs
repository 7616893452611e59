#!/usr/bin/env node
/**
 * Counts what an `strace -f -o FILE -e trace=execve,clone,clone3,fork,vfork` log
 * says was started:
 *   execve     successful execve/execveat calls (programs started; the traced
 *              command's own exec is one of them)
 *   execveFailed  failed ones (PATH look-ups that missed, e.g. by xargs/execvp)
 *   processes  new processes: clone/clone3 without CLONE_THREAD, fork, vfork
 *   threads    new threads: clone/clone3 with CLONE_THREAD
 * Handles the "<unfinished ...>" / "<... clone3 resumed>" split that -f produces.
 *
 * CLI: node bench/lib/strace-count.mjs FILE  → one JSON object on stdout.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const CALL = /^(\d+)\s+(execve|execveat|clone3|clone|vfork|fork)\((.*)$/;
const RESUMED = /^(\d+)\s+<\.\.\. (execve|execveat|clone3|clone|vfork|fork) resumed>(.*)$/;
const RESULT = /=\s+(-?\d+|\?)(?:\s|$)/;

export function countStrace(text) {
  const out = { execve: 0, execveFailed: 0, processes: 0, threads: 0, programs: [] };
  const pending = new Map(); // pid -> { call, thread, program }
  const settle = (call, thread, program, result) => {
    const ok = result !== undefined && result !== "-1";
    if (call === "execve" || call === "execveat") {
      if (ok) {
        out.execve++;
        if (program) out.programs.push(program);
      } else out.execveFailed++;
    } else if (ok) {
      if (thread) out.threads++;
      else out.processes++;
    }
  };
  for (const line of text.split("\n")) {
    let m = CALL.exec(line);
    if (m) {
      const [, pid, call, rest] = m;
      const thread = (call === "clone" || call === "clone3") && rest.includes("CLONE_THREAD");
      const program = call.startsWith("execve") ? (/^"([^"]*)"/.exec(rest)?.[1] ?? "") : "";
      if (rest.includes("<unfinished ...>")) {
        pending.set(pid, { call, thread, program });
        continue;
      }
      settle(call, thread, program, RESULT.exec(rest.slice(rest.lastIndexOf(")")))?.[1]);
      continue;
    }
    m = RESUMED.exec(line);
    if (m) {
      const [, pid, , rest] = m;
      const p = pending.get(pid);
      if (!p) continue;
      pending.delete(pid);
      settle(p.call, p.thread, p.program, RESULT.exec(rest)?.[1]);
    }
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write("usage: node bench/lib/strace-count.mjs STRACE_OUTPUT_FILE\n");
    process.exit(2);
  }
  process.stdout.write(JSON.stringify(countStrace(readFileSync(file, "utf8"))) + "\n");
}
