#!/usr/bin/env node
/**
 * A stand-in for a Slack incoming webhook, for the benches: listens on
 * 127.0.0.1 only, answers every request 200 "ok" (what Slack answers), counts
 * the requests and the bytes of their bodies.
 *
 *   node bench/receiver.mjs [PORT]     (PORT 0 or absent: any free port)
 *
 * Prints its URL (http://127.0.0.1:PORT/services/TBENCH/BBENCH/bench) as the
 * first line on stdout. GET /__count answers {"requests":N,"bytes":B} and is
 * not itself counted. On SIGTERM or SIGINT it prints "requests N bytes B" and
 * exits 0.
 */
import { createServer } from "node:http";

const port = Number(process.argv[2] ?? 0);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`receiver: bad port ${process.argv[2]}\n`);
  process.exit(2);
}

let requests = 0;
let bytes = 0;

const server = createServer((req, res) => {
  if (req.method === "GET" && req.url === "/__count") {
    const body = JSON.stringify({ requests, bytes });
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  requests++;
  req.on("data", (chunk) => {
    bytes += chunk.length;
  });
  req.on("end", () => {
    res.writeHead(200, { "content-type": "text/plain", "content-length": 2 });
    res.end("ok");
  });
});

server.listen(port, "127.0.0.1", () => {
  const addr = server.address();
  process.stdout.write(`http://127.0.0.1:${addr.port}/services/TBENCH/BBENCH/bench\n`);
});

function stop() {
  process.stdout.write(`requests ${requests} bytes ${bytes}\n`);
  server.close();
  server.closeAllConnections?.();
  process.exit(0);
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
