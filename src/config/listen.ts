/**
 * `http.listen`: where `lookout run`'s HTTP server listens, as `HOST:PORT`.
 * HOST is an IPv4 address, a bracketed IPv6 address, `localhost`, or empty
 * (`:9817`: every interface). Whether it is loopback decides whether the
 * server may run without a token (http/settings.ts).
 */
import { type Said, said, sayIn } from "../errors.js";

export const DEFAULT_LISTEN = "127.0.0.1:9817";
/** The addresses messages give as examples: the last one apart, so each language joins it with its own "or". */
export const LISTEN_EXAMPLES = { examples: "127.0.0.1:9817, [::1]:9817, 0.0.0.0:9817", last: ":9817" } as const;
export const LISTEN_EXAMPLE = `${LISTEN_EXAMPLES.examples} or ${LISTEN_EXAMPLES.last}`;

export interface ListenAddress {
  /** What to bind: an IP address, `localhost`, or "" for every interface. */
  host: string;
  port: number;
}

/**
 * The address of `text`, or a problem that completes "http.listen: …": in
 * English (`problem`) and as a catalogue key (`said`), for the config's language.
 */
export function parseListen(text: string): ListenAddress | { problem: string; said: Said } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  const problem = problemOf(said("config.listen.hostPort", LISTEN_EXAMPLES));
  if (!m) return problem;
  const port = Number(m[3]);
  if (!(port >= 0 && port <= 65535)) return problemOf(said("config.listen.port", LISTEN_EXAMPLES));
  if (m[1] !== undefined) return isIPv6(m[1]) ? { host: m[1], port } : problem;
  const host = m[2]!;
  if (host === "" || host === "localhost" || isIPv4(host)) return { host, port };
  return problemOf(said("config.listen.host", LISTEN_EXAMPLES));
}

/*
 * Written here rather than node:net's isIP, whose module loads Node's streams (~10 ms of every command that reads the
 * config, `status` among them, when LOOKOUT_HTTP_LISTEN is set).
 */
/** Four decimal numbers 0–255 without leading zeros, as node:net's isIP takes an IPv4 address. */
function isIPv4(text: string): boolean {
  const parts = text.split(".");
  return parts.length === 4 && parts.every((p) => /^(?:0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
}

/** An IPv6 address (what goes between the brackets), as the URL parser reads one: it refuses any other text. */
function isIPv6(text: string): boolean {
  if (!text.includes(":")) return false;
  try {
    new URL(`http://[${text}]/`);
    return true;
  } catch {
    return false;
  }
}

function problemOf(s: Said): { problem: string; said: Said } {
  return { problem: sayIn(s), said: s };
}

/** Only this machine can reach it: 127.0.0.0/8, ::1 (also as ::ffff:127.x.y.z), localhost. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || /^::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** As people write it: `[::1]:9817`, `127.0.0.1:9817`, `:9817`. */
export function listenText(a: ListenAddress): string {
  return `${a.host.includes(":") ? `[${a.host}]` : a.host}:${a.port}`;
}
