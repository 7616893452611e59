/**
 * Reading the small files a config names (the config itself, a secret's
 * file): never a device, a FIFO, a directory or a huge file, and never their
 * content in a problem. Without zod or yaml, so that receivers reading their
 * secrets load neither (config/cache.ts).
 */
import { closeSync, constants as fsConstants, fstatSync, openSync, readSync, type Stats } from "node:fs";
import { DEFAULT_LOCALE, type MessageKey, type Messages, messages } from "../i18n/messages.js";
import { registerSecret } from "../secrets.js";

/** The largest file a secret is read from (webhook_url_file, header_files): one URL or token. */
export const MAX_SECRET_FILE_BYTES = 16 * 1024;

export type FileRead = { ok: true; text: string } | { ok: false; problem: string; fix?: string };

/**
 * A file's text, when it is a regular file of at most `maxBytes`: never a
 * device (`/dev/zero` would never end), a FIFO (opened without waiting for a
 * writer), a directory or a huge file. Links are followed. Never throws; the
 * problem says what the file is, never what it holds.
 */
export function readSmallFile(path: string, maxBytes: number, m: Messages = messages(DEFAULT_LOCALE)): FileRead {
  let fd: number;
  try {
    fd = openSync(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  } catch (err) {
    return { ok: false, problem: (err as NodeJS.ErrnoException).code ?? "error" };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { ok: false, problem: m.t("file.notRegular", { kind: m.t(kindOf(st)) }), fix: m.t("file.fix.regular") };
    if (st.size > maxBytes) return { ok: false, problem: m.t("file.tooLarge", { limit: sizeText(maxBytes), bytes: st.size }), fix: m.t("file.fix.rightFile") };
    // At most maxBytes + 1, whatever the size said: a file that grows meanwhile is still refused.
    const buf = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buf, length, buf.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > maxBytes) return { ok: false, problem: m.t("file.tooLarge.grew", { limit: sizeText(maxBytes) }), fix: m.t("file.fix.rightFile") };
    }
    return { ok: true, text: buf.subarray(0, length).toString("utf8") };
  } catch (err) {
    return { ok: false, problem: (err as NodeJS.ErrnoException).code ?? "error" };
  } finally {
    closeSync(fd);
  }
}

function kindOf(st: Stats): MessageKey {
  if (st.isDirectory()) return "file.kind.directory";
  if (st.isCharacterDevice()) return "file.kind.charDevice";
  if (st.isBlockDevice()) return "file.kind.blockDevice";
  if (st.isFIFO()) return "file.kind.fifo";
  if (st.isSocket()) return "file.kind.socket";
  return "file.kind.unknown";
}

function sizeText(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB` : bytes >= 1024 ? `${Math.round((bytes / 1024) * 10) / 10} KiB` : `${bytes} bytes`;
}

/**
 * A secret kept in a file (webhook_url_file, header_files): its text, trimmed,
 * registered as a secret before anything else is done with it; or the problem,
 * which names the key and the file, never the content. One line only.
 */
export function readSecretFile(file: string, key: string, what: MessageKey, m: Messages = messages(DEFAULT_LOCALE)): string | { problem: string } {
  const read = readSmallFile(file, MAX_SECRET_FILE_BYTES, m);
  if (!read.ok) return { problem: cannotReadProblem(key, file, read, m) };
  const text = read.text.trim();
  registerSecret(text);
  if (/[\r\n]/.test(text)) return { problem: m.t("entry.moreThanOneLine", { key, file, what: m.t(what) }) };
  return text;
}

/** `KEY: cannot read FILE (why); fix`, in `m`'s language. */
export function cannotReadProblem(key: string, file: string, read: { problem: string; fix?: string }, m: Messages = messages(DEFAULT_LOCALE)): string {
  return m.t("entry.cannotRead", { key, file, problem: read.problem, fix: read.fix ?? m.t("file.fix.permissions") });
}
