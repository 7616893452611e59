/**
 * A host root (as when Lookout runs in a container with the host's / mounted at
 * /host) whose /proc the test writes. The CPU is exactly as busy as the test
 * says, whatever else runs on this machine: /proc/stat's counters advance with
 * the wall clock, into `user` while `busy` and into `idle` otherwise, and one
 * process, "burner" (BURNER_PID), uses a core while busy.
 * Memory, load, uptime and mounts are this sandbox's recorded files.
 */
import { copyFileSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

const FIXTURES = resolve(import.meta.dirname, "../fixtures/proc/this-sandbox");
const USER_HZ = 100;

export class FakeHostProc {
  static readonly CORES = 2;
  static readonly BURNER_PID = 4242;
  static readonly BURNER_NAME = "burner";

  /** Whether the host's CPUs (and the burner) are busy from now on. */
  busy = false;
  private readonly proc: string;
  private readonly started = Date.now();
  private readonly bootSeconds = 86_400; // up a day when the test starts
  private ticksWritten = 0;
  private user = 5_000;
  private idle = 500_000;
  private burner = 0;
  private timer: NodeJS.Timeout | undefined;

  /** Creates `<root>/proc` and keeps its stat, uptime and the burner's stat current until `stop()`. */
  constructor(readonly root: string) {
    this.proc = join(root, "proc");
    mkdirSync(join(this.proc, "1"), { recursive: true });
    mkdirSync(join(this.proc, String(FakeHostProc.BURNER_PID)), { recursive: true });
    for (const f of ["meminfo", "loadavg"]) copyFileSync(join(FIXTURES, f), join(this.proc, f));
    copyFileSync(join(FIXTURES, "mountinfo"), join(this.proc, "1", "mountinfo"));
    this.write();
    this.timer = setInterval(() => this.write(), 50);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Replaces a file in one step, so the agent never reads half of one. */
  private put(rel: string, text: string): void {
    const path = join(this.proc, rel);
    writeFileSync(`${path}.tmp`, text);
    renameSync(`${path}.tmp`, path);
  }

  private write(): void {
    const elapsedMs = Date.now() - this.started;
    const target = Math.floor((elapsedMs / 1000) * USER_HZ * FakeHostProc.CORES);
    const ticks = target - this.ticksWritten;
    this.ticksWritten = target;
    if (this.busy) {
      this.user += ticks;
      this.burner += ticks / FakeHostProc.CORES;
    } else {
      this.idle += ticks;
    }
    const line = (name: string, div: number) => `${name} ${Math.floor(this.user / div)} 0 0 ${Math.floor(this.idle / div)} 0 0 0 0 0 0`;
    const btime = Math.floor(this.started / 1000) - this.bootSeconds;
    const perCpu = Array.from({ length: FakeHostProc.CORES }, (_, i) => line(`cpu${i}`, FakeHostProc.CORES));
    this.put("stat", [line("cpu ", 1), ...perCpu, `btime ${btime}`, "processes 1000", ""].join("\n"));
    this.put("uptime", `${(this.bootSeconds + elapsedMs / 1000).toFixed(2)} 1000.00\n`);
    const pid = FakeHostProc.BURNER_PID;
    const utime = Math.floor(this.burner);
    this.put(
      `${pid}/stat`,
      `${pid} (${FakeHostProc.BURNER_NAME}) R 1 ${pid} ${pid} 0 -1 4194560 100 0 0 0 ${utime} 0 0 0 20 0 1 0 100 123456789 2560 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n`,
    );
  }
}
