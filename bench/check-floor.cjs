#!/usr/bin/env -S node --single-threaded-gc --lite-mode --no-expose-wasm
/**
 * The least a steady `lookout check` must do, written as plainly as Node
 * allows, for bench/check-vs-blog.sh to time beside it: what any Node
 * program doing this job costs on the machine, before any of Lookout's own
 * work (rules, state, history, messages). With Lookout's Node flags (first
 * line); in order:
 *   - read the host's figures: /proc/stat and /proc/meminfo;
 *   - ask Docker for its containers: one GET /containers/json over the unix
 *     socket of DOCKER_HOST (else /var/run/docker.sock), HTTP/1.1 by hand
 *     over node:net as Lookout does (src/collect/docker/socket-get.ts), the
 *     JSON parsed; no Docker: 0 containers;
 *   - write one row to SQLite (better-sqlite3, WAL, as Lookout's store) in
 *     the database at argv[2];
 *   - print one line.
 *
 *   node bench/check-floor.cjs /tmp/floor.db
 */
"use strict";

const fs = require("node:fs");
const Database = require("better-sqlite3");

const stat = fs.readFileSync("/proc/stat", "latin1");
const mem = fs.readFileSync("/proc/meminfo", "latin1");
const db = new Database(process.argv[2] || "/tmp/lookout-check-floor.db");
db.pragma("journal_mode = WAL");
db.exec("CREATE TABLE IF NOT EXISTS sample (at INTEGER, what TEXT)");

function done(containers) {
  db.prepare("INSERT INTO sample VALUES (?, ?)").run(Date.now(), `${containers} ${stat.length} ${mem.length}`);
  db.close();
  fs.writeSync(1, `${containers} containers\n`);
}

const host = process.env.DOCKER_HOST || "unix:///var/run/docker.sock";
if (!host.startsWith("unix://")) {
  done(0);
} else {
  const socket = require("node:net").createConnection(host.slice("unix://".length));
  const parts = [];
  socket.on("connect", () => socket.write("GET /v1.41/containers/json HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
  socket.on("data", (b) => parts.push(b));
  socket.on("error", () => done(0));
  socket.on("end", () => {
    const text = Buffer.concat(parts).toString("latin1");
    let body = text.slice(text.indexOf("\r\n\r\n") + 4);
    // A chunked answer (larger lists): the chunks' sizes dropped.
    if (/\r\ntransfer-encoding: chunked/i.test(text.slice(0, text.indexOf("\r\n\r\n")))) body = body.replace(/(^|\r\n)[0-9a-f]+\r\n/gi, "");
    let n = 0;
    try {
      n = JSON.parse(Buffer.from(body, "latin1").toString("utf8")).length;
    } catch {
      n = -1;
    }
    done(n);
  });
}
