/** What a container's exit code usually means, for messages (`137 = killed (SIGKILL), often out of memory`). */
const SIGNALS: Record<number, string> = {
  1: "SIGHUP",
  2: "SIGINT",
  3: "SIGQUIT",
  4: "SIGILL",
  6: "SIGABRT",
  7: "SIGBUS",
  8: "SIGFPE",
  9: "SIGKILL",
  11: "SIGSEGV",
  13: "SIGPIPE",
  14: "SIGALRM",
  15: "SIGTERM",
};

export function exitCodeMeaning(code: number, oomKilled = false): string {
  if (oomKilled) return "killed by the kernel: out of memory";
  switch (code) {
    case 0:
      return "exited normally";
    case 1:
      return "application error";
    case 2:
      return "misuse of a shell command or bad arguments";
    case 125:
      return "Docker could not run the container";
    case 126:
      return "command found but not executable";
    case 127:
      return "command not found";
    case 137:
      return "killed (SIGKILL): out of memory, or stopped forcefully";
    case 139:
      return "segmentation fault (SIGSEGV)";
    case 143:
      return "terminated (SIGTERM)";
  }
  if (code > 128 && code < 160) {
    const sig = SIGNALS[code - 128];
    return sig ? `killed by signal ${code - 128} (${sig})` : `killed by signal ${code - 128}`;
  }
  return "application error";
}
