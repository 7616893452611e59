/**
 * What a container's exit code usually means, for messages (`137: killed
 * (SIGKILL), out of memory, or stopped forcefully`), in the language of the
 * message (`m`): the collector keeps the code, the rule that writes the
 * message says what it means.
 */
import { type MessageKey, type Messages, messages } from "../../i18n/messages.js";

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

/** The codes with a meaning of their own (the rest: a signal above 128, else an application error). */
const KNOWN: Record<number, MessageKey> = {
  0: "exit.0",
  1: "exit.1",
  2: "exit.2",
  125: "exit.125",
  126: "exit.126",
  127: "exit.127",
  137: "exit.137",
  139: "exit.139",
  143: "exit.143",
};

export function exitCodeMeaning(code: number, oomKilled = false, m: Messages = messages()): string {
  if (oomKilled) return m.t("exit.oom");
  const known = KNOWN[code];
  if (known) return m.t(known);
  if (code > 128 && code < 160) {
    const sig = SIGNALS[code - 128];
    return sig ? m.t("exit.signal", { number: code - 128, name: sig }) : m.t("exit.signalNumber", { number: code - 128 });
  }
  return m.t("exit.1");
}
