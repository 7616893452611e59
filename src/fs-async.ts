/**
 * The few asynchronous file calls the collectors make, as promises over
 * node:fs's callbacks: node:fs/promises loads about twenty of Node's internal
 * modules (readline among them) the first time, ~5 ms of a short command's
 * CPU, for the same system calls.
 */
import { readdir as readdirCallback, readFile as readFileCallback, statfs as statfsCallback } from "node:fs";
import { promisify } from "node:util";

export const readFile = promisify(readFileCallback);
export const readdir = promisify(readdirCallback);
export const statfs = promisify(statfsCallback);
