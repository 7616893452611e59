import { randomBytes } from "node:crypto";
import { closeSync, fchmodSync, fsyncSync, lstatSync, openSync, renameSync, type Stats, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { CONFIG_TEMPLATE } from "../../config/template.js";
import { LookoutError } from "../../errors.js";
import { oneLine } from "../../escape.js";
import { processMessages } from "../../i18n/current.js";

/** `lookout init [path]` (commands/init.ts defines its options). */
export function init(path: string, opts: { force?: boolean }): void {
  const target = resolve(path);
  const existing = lstatOrNull(target);
  if (existing?.isSymbolicLink()) {
    // Writing through a link would write wherever it points (another user's file, /etc/…).
    throw new LookoutError(processMessages().t("cli.init.symlink", { path: oneLine(target) }), { exitCode: 1 });
  }
  if (existing && !existing.isFile()) {
    throw new LookoutError(processMessages().t("cli.init.notAFile", { path: oneLine(target) }), { exitCode: 1 });
  }
  if (existing && !opts.force) {
    throw new LookoutError(processMessages().t("cli.init.exists", { path: oneLine(target) }), { exitCode: 1 });
  }
  writeConfigFile(target, CONFIG_TEMPLATE, opts.force === true);
  process.stdout.write(processMessages().t("cli.init.wrote", { path: oneLine(target), arg: oneLine(path) }));
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

/**
 * Writes `text` to `target` with mode 600, never through a link (also `lookout install-service`'s config). A new file is
 * created exclusively (O_EXCL: it fails on anything already there, a link
 * included). To replace one (`--force`), the text goes to a new file in the same
 * directory, created the same way, which is then renamed over the target: the
 * rename replaces the entry itself (even a link planted since it was checked),
 * never what a link points to, and the old file's mode does not carry over.
 */
export function writeConfigFile(target: string, text: string, replace: boolean): void {
  const path = replace ? join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`) : target;
  let fd: number | undefined;
  let created = false;
  try {
    fd = openSync(path, "wx", 0o600);
    created = true;
    fchmodSync(fd, 0o600); // whatever the umask
    writeSync(fd, text);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    if (replace) renameSync(path, target);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    if (created) {
      try {
        unlinkSync(path);
      } catch {
        /* already moved */
      }
    }
    const code = (err as NodeJS.ErrnoException).code ?? "error";
    const m = processMessages();
    if (code === "EEXIST" && !replace) throw new LookoutError(m.t("cli.init.exists", { path: oneLine(target) }), { exitCode: 1 });
    throw new LookoutError(m.t("cli.writeFailed", { path: oneLine(target), code }));
  }
}
