/**
 * Who may use the server: the token (a bearer header, or typed once into the
 * sign-in form, which then gives the browser a session cookie), and how
 * guessing it is slowed down.
 *
 * - The token is compared in constant time: both sides are hashed first
 *   (SHA-256), so `timingSafeEqual` compares equal lengths and the time says
 *   nothing of how much of a guess was right, nor of the token's length.
 * - A session cookie holds a random id (32 bytes), never the token; sessions
 *   live in memory, at most MAX_SESSIONS (the oldest goes first), each for
 *   SESSION_MS.
 * - Wrong tokens are counted per remote address: after FREE_FAILURES, each
 *   further attempt waits 1 s, 2 s, 4 s… (at most MAX_WAIT_MS) and is
 *   answered 429 with Retry-After meanwhile. At most MAX_ADDRESSES are
 *   remembered (the least recently failed is forgotten first), each for
 *   FORGET_AFTER_MS after its last failure: memory stays bounded whatever
 *   an attacker sends.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

export const SESSION_COOKIE = "lookout_session";
export const SESSION_MS = 7 * 24 * 3600_000;
const MAX_SESSIONS = 1000;

const FREE_FAILURES = 5;
const MAX_WAIT_MS = 5 * 60_000;
const FORGET_AFTER_MS = 15 * 60_000;
const MAX_ADDRESSES = 10_000;

function sha256(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/** Whether `given` is the token, in time that does not depend on either. */
export function tokenMatches(token: string, given: string): boolean {
  return timingSafeEqual(sha256(token), sha256(given));
}

export class Sessions {
  /** By the SHA-256 of the id: the ids themselves are kept only by the browsers. */
  private readonly byHash = new Map<string, number>();

  /** A new session from `now`: its id, for the cookie. */
  open(now: number): string {
    const id = randomBytes(32).toString("base64url");
    if (this.byHash.size >= MAX_SESSIONS) this.byHash.delete(this.byHash.keys().next().value!);
    this.byHash.set(sha256(id).toString("hex"), now + SESSION_MS);
    return id;
  }

  valid(id: string, now: number): boolean {
    const key = sha256(id).toString("hex");
    const ends = this.byHash.get(key);
    if (ends === undefined) return false;
    if (ends <= now) {
      this.byHash.delete(key);
      return false;
    }
    return true;
  }

  close(id: string): void {
    this.byHash.delete(sha256(id).toString("hex"));
  }

  get size(): number {
    return this.byHash.size;
  }
}

interface Failures {
  count: number;
  lastAt: number;
}

export class FailedAttempts {
  private readonly byAddress = new Map<string, Failures>();

  /** How long `address` must still wait before its next attempt is heard (ms; 0: go ahead). */
  waitFor(address: string, now: number): number {
    const f = this.current(address, now);
    if (!f || f.count < FREE_FAILURES) return 0;
    const wait = Math.min(MAX_WAIT_MS, 1000 * 2 ** Math.min(20, f.count - FREE_FAILURES));
    return Math.max(0, f.lastAt + wait - now);
  }

  failed(address: string, now: number): void {
    const f = this.current(address, now);
    this.byAddress.delete(address); // re-inserted last: the map's order is the order of last failure
    this.byAddress.set(address, { count: (f?.count ?? 0) + 1, lastAt: now });
    while (this.byAddress.size > MAX_ADDRESSES) this.byAddress.delete(this.byAddress.keys().next().value!);
  }

  succeeded(address: string): void {
    this.byAddress.delete(address);
  }

  get size(): number {
    return this.byAddress.size;
  }

  private current(address: string, now: number): Failures | undefined {
    const f = this.byAddress.get(address);
    if (f && now - f.lastAt >= FORGET_AFTER_MS) {
      this.byAddress.delete(address);
      return undefined;
    }
    return f;
  }
}

/** A cookie's value from a `Cookie` header, or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The session cookie (`maxAgeS` 0 ends it). HttpOnly: no script reads it; SameSite=Strict: no other site's request carries it. */
export function sessionCookie(id: string, maxAgeS: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure ? "; Secure" : ""}`;
}
