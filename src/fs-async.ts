/**
 * The asynchronous file calls the collectors make, as promises over node:fs's
 * callbacks (node:fs/promises loads about twenty of Node's internal modules,
 * readline among them, the first time: ~5 ms of a short command's CPU, for
 * the same system calls): statfs, which a dead NFS server can hang, and the
 * top processes' stat files, hundreds read a few at a time. Kernel files read
 * once or a few at a time (/proc, /sys, cgroups) are read synchronously: they
 * come from memory, and a thread-pool round trip costs more than the read.
 */
import { readFile as readFileCallback, statfs as statfsCallback } from "node:fs";
import { promisify } from "node:util";

export const readFile = promisify(readFileCallback);
export const statfs = promisify(statfsCallback);
