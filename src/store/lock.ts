/**
 * One agent per data directory: `lookout run` and `lookout check` take
 * `agent.lock` (created exclusively, holding the owner's pid) so two of them
 * never evaluate and send from the same state at once. A lock whose process is
 * gone (a crash, kill -9) is taken over.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { StorageError } from "../errors.js";

export const LOCK_FILE = "agent.lock";

interface LockInfo {
  pid: number;
  command: string;
  since: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM"; // exists, owned by someone else
  }
}

export class AgentLock {
  private held = false;
  readonly path: string;

  constructor(
    private readonly dataDir: string,
    private readonly command: string,
  ) {
    this.path = join(dataDir, LOCK_FILE);
  }

  /** Takes the lock or throws a StorageError (exit code 3) naming who holds it. */
  acquire(): void {
    for (let attempt = 0; attempt < 2; attempt++) {
      let fd: number;
      try {
        fd = openSync(this.path, "wx", 0o600);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") {
          throw new StorageError(`cannot create ${this.path} (${(err as NodeJS.ErrnoException).code}): is the data directory writable?`, { exitCode: 3 });
        }
        const owner = this.owner();
        if (owner && owner.pid !== process.pid && alive(owner.pid)) {
          throw new StorageError(
            `another Lookout agent (pid ${owner.pid}, "lookout ${owner.command}" since ${owner.since}) is using the data directory ${this.dataDir}; ` +
              `stop it first, or give this one its own --data-dir`,
            { exitCode: 3 },
          );
        }
        try {
          unlinkSync(this.path); // left by a process that is gone
        } catch {
          /* another process took it over first: try again */
        }
        continue;
      }
      const info: LockInfo = { pid: process.pid, command: this.command, since: new Date().toISOString() };
      writeSync(fd, JSON.stringify(info));
      closeSync(fd);
      this.held = true;
      return;
    }
    throw new StorageError(`cannot take ${this.path}: another agent keeps taking it; stop the other agent`, { exitCode: 3 });
  }

  private owner(): LockInfo | null {
    try {
      const info = JSON.parse(readFileSync(this.path, "utf8")) as LockInfo;
      return typeof info.pid === "number" ? info : null;
    } catch {
      return null;
    }
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    try {
      if (this.owner()?.pid === process.pid) unlinkSync(this.path);
    } catch {
      /* already gone */
    }
  }
}
