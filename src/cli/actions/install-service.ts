/**
 * `lookout install-service` (commands/install-service.ts defines its options):
 * puts Lookout in place as a systemd service. The unit is the package's
 * deploy/lookout.service with ExecStart made absolute (this node, the node
 * flags of bin/lookout.cjs's first line, this package's bin/lookout.cjs), so
 * systemd's PATH need not hold node (nvm) nor lookout. Each step says what it
 * did, or with --dry-run what it would do; nothing that exists is replaced but
 * the unit, and that only when it differs and --force is given.
 */
import { spawnSync } from "node:child_process";
import { accessSync, chownSync, constants, existsSync, mkdirSync, readFileSync, realpathSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { Command } from "commander";
import { CONFIG_TEMPLATE } from "../../config/template.js";
import { LookoutError, UsageError } from "../../errors.js";
import { oneLine } from "../../escape.js";
import { processMessages } from "../../i18n/current.js";
import type { MessageKey, Params } from "../../i18n/messages.js";
import { PACKAGE_DIR } from "../../version.js";
import type { GlobalOptions } from "../context.js";
import { writeConfigFile } from "./init.js";

export interface InstallServiceOptions {
  unitDir: string;
  dryRun?: boolean;
  force?: boolean;
}

export const SERVICE_USER = "lookout";
const DEFAULT_CONFIG = "/etc/lookout/lookout.yaml";
const DEFAULT_DATA_DIR = "/var/lib/lookout";
/** What a path in the unit may hold: no space, quote, `%` or `$`, which the unit file would read as syntax. */
const PLAIN_PATH = /^\/[\w./@+-]*$/;

export function installService(opts: InstallServiceOptions, cmd: Command): void {
  const globals = cmd.optsWithGlobals<GlobalOptions>();
  const configPath = resolve(globals.config ?? DEFAULT_CONFIG);
  const configDir = dirname(configPath);
  const dataDir = resolve(globals.dataDir ?? DEFAULT_DATA_DIR);
  const unitDir = resolve(opts.unitDir);
  const unitPath = join(unitDir, "lookout.service");
  const dry = opts.dryRun === true;
  const root = process.getuid?.() === 0;
  // Each step and refusal in the process's language: what it did, or with --dry-run what it would do (a text of its own in each language).
  const m = processMessages();

  if (!root && !dry && !writable(unitDir)) {
    throw new LookoutError(m.t("cli.install.needsRoot", { unit: oneLine(unitPath), user: SERVICE_USER, configDir: oneLine(configDir), dataDir: oneLine(dataDir) }), {
      exitCode: 2,
    });
  }

  const pkg = packageRoot();
  const bin = realpathSync(join(pkg, "bin", "lookout.cjs"));
  const execStart = [process.execPath, ...nodeFlags(bin), bin, "run", "--config", configPath, "--data-dir", dataDir];
  for (const p of [process.execPath, bin, configPath, dataDir]) {
    if (!PLAIN_PATH.test(p)) throw new UsageError(m.t("cli.install.plainPath", { path: oneLine(p) }));
  }
  const dockerGroup = lookup("group", "docker") !== null;
  const unit = unitText(readFileSync(join(pkg, "deploy", "lookout.service"), "utf8"), { execStart, configDir, dataDir, dockerGroup });

  const say = (key: MessageKey, params: Params = {}) => process.stdout.write(`${m.t(key, params)}\n`);
  const step = (dryKey: MessageKey, doneKey: MessageKey, params: Params) => say(dry ? dryKey : doneKey, params);
  const later: string[] = []; // what a user without root must still do, as root

  // 1. The user.
  let user = lookup("passwd", SERVICE_USER);
  const useradd = ["useradd", "--system", "--user-group", "--home-dir", dataDir, "--no-create-home", "--shell", nologin(), SERVICE_USER];
  if (user) {
    say("cli.install.userExists", { user: SERVICE_USER });
  } else if (dry) {
    say("cli.install.run.dry", { command: useradd.join(" ") });
  } else if (!root) {
    later.push(useradd.join(" "));
  } else {
    const r = spawnSync(useradd[0]!, useradd.slice(1), { encoding: "utf8" });
    if (r.error || r.status !== 0) {
      const why = r.error ? ((r.error as NodeJS.ErrnoException).code ?? r.error.message) : oneLine(r.stderr.trim() || `exit ${r.status}`);
      throw new LookoutError(m.t("cli.install.useraddFailed", { user: SERVICE_USER, why, command: useradd.join(" ") }));
    }
    user = lookup("passwd", SERVICE_USER);
    say("cli.install.userCreated", { user: SERVICE_USER });
  }
  if (!dockerGroup) {
    say("cli.install.noDockerGroup");
  }
  const owner = user ? { uid: Number(user[2]), gid: Number(user[3]) } : null;
  const giveToUser = (path: string, what: string) => {
    if (dry) return say("cli.install.give.dry", { path: what, user: SERVICE_USER });
    if (root && owner) {
      chownSync(path, owner.uid, owner.gid);
      say("cli.install.give.done", { path: what, user: SERVICE_USER });
    } else {
      later.push(`chown ${SERVICE_USER}:${SERVICE_USER} ${path}`);
    }
  };

  // 2. The config: lookout init's, mode 600, owned by the service's user (it reads it; the unit keeps /etc read-only).
  const ownedByUser = (path: string) => owner !== null && existsSync(path) && statSync(path).uid === owner.uid;
  if (existsSync(configPath)) {
    say("cli.install.kept", { path: oneLine(configPath) });
  } else {
    if (!existsSync(configDir)) {
      if (!dry) mkdirSync(configDir, { recursive: true, mode: 0o755 });
      step("cli.install.createDir.dry", "cli.install.createDir.done", { path: oneLine(configDir) });
    }
    if (!dry) writeConfigFile(configPath, CONFIG_TEMPLATE, false);
    step("cli.install.writeConfig.dry", "cli.install.writeConfig.done", { path: oneLine(configPath) });
  }
  if (!ownedByUser(configPath)) giveToUser(configPath, oneLine(configPath));

  // 3. The data directory (systemd's StateDirectory= would create /var/lib/lookout too; any other path it would not).
  if (existsSync(dataDir)) {
    say("cli.install.kept", { path: oneLine(dataDir) });
  } else {
    if (!dry) mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    step("cli.install.createData.dry", "cli.install.createData.done", { path: oneLine(dataDir) });
  }
  if (!ownedByUser(dataDir)) giveToUser(dataDir, oneLine(dataDir));

  // 4. The unit.
  const current = readOrNull(unitPath);
  if (current === unit) {
    say("cli.install.unitUpToDate", { path: oneLine(unitPath) });
  } else if (current !== null && !opts.force) {
    if (dry) say("cli.install.unitDiffers.dry", { path: oneLine(unitPath) });
    else throw new LookoutError(m.t("cli.install.unitDiffers", { path: oneLine(unitPath) }));
  } else {
    if (!dry) writeAtomically(unitPath, unit);
    if (current === null) step("cli.install.writeUnit.dry", "cli.install.writeUnit.done", { path: oneLine(unitPath) });
    else step("cli.install.writeUnit.replaced.dry", "cli.install.writeUnit.replaced.done", { path: oneLine(unitPath) });
  }

  if (later.length > 0) process.stdout.write(`${m.t("cli.install.leftToDo")}${later.map((c) => `  ${c}\n`).join("")}`);
  if (dry) process.stdout.write(`${m.t("cli.install.unitWouldBe", { path: oneLine(unitPath) })}${unit}`);
  process.stdout.write(m.t("cli.install.next", { path: oneLine(join(configDir, "env")) }));
}

/** The unit: deploy/lookout.service with this install's paths. */
export function unitText(template: string, o: { execStart: string[]; configDir: string; dataDir: string; dockerGroup: boolean }): string {
  const custom = o.dataDir !== DEFAULT_DATA_DIR; // StateDirectory= is /var/lib/<name> only
  const out = ["# Lookout, written by `lookout install-service` from its deploy/lookout.service: run it again after moving node or Lookout."];
  // The template's opening comment (how to install it by hand) stays behind.
  for (const line of template.slice(Math.max(0, template.indexOf("\n[Unit]") + 1)).split("\n")) {
    if (line.startsWith("ExecStart=")) out.push(`ExecStart=${o.execStart.join(" ")}`);
    else if (line.startsWith("EnvironmentFile=")) out.push(`EnvironmentFile=-${join(o.configDir, "env")}`);
    else if (line.startsWith("ReadWritePaths=")) out.push(`ReadWritePaths=${o.dataDir}`);
    else if (custom && line.startsWith("StateDirectory")) continue;
    else if (!o.dockerGroup && line.startsWith("SupplementaryGroups=docker")) continue;
    else out.push(line);
  }
  return out.join("\n");
}

/** The node flags on bin/lookout.cjs's first line (`#!/usr/bin/env -S node --lite-mode …`): V8 takes them only at start. */
export function nodeFlags(bin: string): string[] {
  const first = readFileSync(bin, "utf8").split("\n", 1)[0] ?? "";
  const words = first.replace(/^#!/, "").trim().split(/\s+/);
  const at = words.indexOf("node");
  return at < 0 ? [] : words.slice(at + 1);
}

/** This package's root (version.ts finds it: the nearest directory above whose package.json is Lookout's). */
function packageRoot(): string {
  if (PACKAGE_DIR === undefined) throw new LookoutError(processMessages().t("cli.install.noPackage"));
  return PACKAGE_DIR;
}

/** An entry of the passwd or group database (its fields), or null: getent, so LDAP and the like count; /etc's file without it. */
function lookup(db: "passwd" | "group", name: string): string[] | null {
  const r = spawnSync("getent", [db, name], { encoding: "utf8" });
  if (!r.error) return r.status === 0 ? r.stdout.trim().split(":") : null;
  const line = (readOrNull(`/etc/${db}`) ?? "").split("\n").find((l) => l.startsWith(`${name}:`));
  return line ? line.split(":") : null;
}

function nologin(): string {
  return ["/usr/sbin/nologin", "/sbin/nologin"].find((p) => existsSync(p)) ?? "/bin/false";
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

/** The unit, mode 644, through a file beside it renamed over it: systemd never reads half a unit. */
function writeAtomically(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text, { mode: 0o644, flag: "wx" });
    renameSync(tmp, path);
  } catch (err) {
    throw new LookoutError(processMessages().t("cli.writeFailed", { path: oneLine(path), code: (err as NodeJS.ErrnoException).code ?? "error" }));
  }
}
