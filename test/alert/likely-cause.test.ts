import { describe, expect, it } from "vitest";
import { diskFullCause, mountOf } from "../../src/alert/likely-cause.js";
import type { Sample } from "../../src/model/sample.js";

const disk = (mount: string, value: number, free = 0): Sample => ({
  name: "host_disk",
  labels: { mount },
  value,
  details: { device: "/dev/vda1", fstype: "ext4", sizeBytes: 100 * 2 ** 30, usedBytes: 100 * 2 ** 30 - free, freeBytes: free },
});

describe("likely causes", () => {
  it("finds the mount a path is on: the longest mount point that holds it, never a mere prefix of a name", () => {
    const mounts = ["/", "/var", "/var/lib/docker", "/data"];
    expect(mountOf("/var/lib/docker", mounts)).toBe("/var/lib/docker");
    expect(mountOf("/var/lib/dockerd", mounts)).toBe("/var");
    expect(mountOf("/database/x", mounts)).toBe("/");
    expect(mountOf("/data/pg", mounts)).toBe("/data");
    expect(mountOf("relative", ["/var"])).toBeUndefined();
  });

  it("names a full filesystem the container writes to as the likely cause, and nothing when none is full", () => {
    const disks = [
      disk("/", 100, 4096),
      disk("/data", 40, 2 ** 30),
      { name: "host_memory", labels: {}, value: 100, details: { totalBytes: 1, availableBytes: 0, usedBytes: 1 } },
    ] satisfies Sample[];
    expect(diskFullCause(["/var/lib/docker", "/data/pg"], disks)).toEqual({
      label: "Likely cause",
      value: "disk full: / is 100.0% used (4.0 KiB free), and it writes there (/var/lib/docker)",
    });
    expect(diskFullCause(["/data/pg"], disks)).toBeUndefined();
    expect(diskFullCause(["/var/lib/docker"], [disk("/", 99.4)])).toBeUndefined();
    expect(diskFullCause([], disks)).toBeUndefined();
  });
});
