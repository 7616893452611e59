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
 *     over Node's pipe handle as Lookout does on Node 20
 *     (src/collect/docker/unix-link.ts; node:net, whose streams cost ~10 ms
 *     more to load, with FLOOR_NET=1), the JSON parsed; no Docker: 0
 *     containers;
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
  const path = host.slice("unix://".length);
  const request = "GET /v1.41/containers/json HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
  const parts = [];
  const answered = () => {
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
  };
  if (process.env.FLOOR_NET === "1") {
    const socket = require("node:net").createConnection(path);
    socket.on("connect", () => socket.write(request));
    socket.on("data", (b) => parts.push(b));
    socket.on("error", () => done(0));
    socket.on("end", answered);
  } else {
    // Node's pipe handle, as src/collect/docker/unix-link.ts drives it (without its checks and fallback).
    const { Pipe, PipeConnectWrap, constants } = process.binding("pipe_wrap");
    const { WriteWrap, streamBaseState, kReadBytesOrError, kArrayBufferOffset } = process.binding("stream_wrap");
    const handle = new Pipe(constants.SOCKET);
    const connect = new PipeConnectWrap();
    connect.oncomplete = (status) => {
      if (status < 0) return handle.close(() => done(0));
      handle.onread = (buffer) => {
        const n = streamBaseState[kReadBytesOrError];
        if (n > 0) parts.push(Buffer.from(buffer, streamBaseState[kArrayBufferOffset], n));
        else if (n < 0) handle.close(answered);
      };
      handle.readStart();
      const write = new WriteWrap();
      write.handle = handle;
      write.oncomplete = () => {};
      handle.writeLatin1String(write, request);
    };
    handle.connect(connect, path);
  }
}
