/**
 * Follows Docker's event stream (GET /events, containers only) and hands each
 * event to a callback as soon as it arrives. When the stream breaks or cannot
 * be opened it reconnects with backoff (500 ms doubling to 30 s, back to
 * 500 ms after a connection succeeds), asking the daemon with `since` for the
 * events it sent while the stream was down, so a short gap (a socket hiccup)
 * loses nothing; events it replays that were already delivered are dropped.
 * A daemon restart empties the daemon's own event buffer: what happened
 * before it came back must be found by listing containers (reconcile).
 */

import { describeError, said } from "../../errors.js";
import { processMessages } from "../../i18n/current.js";
import { log } from "../../log.js";
import type { DockerEvent } from "./api-types.js";
import { type DockerEngine, DockerError, dockerError, toDockerError } from "./engine.js";

export interface EventStreamStatus {
  connected: boolean;
  /** Since when (ms since epoch) the stream has been connected, or down. */
  since: number;
  /** Why it is down (the latest failure). */
  error?: DockerError;
}

export interface EventWatcherOptions {
  engine: DockerEngine;
  onEvent: (ev: DockerEvent) => void;
  /** Called when the stream goes up or down (not on every failed retry). */
  onStatus?: (status: EventStreamStatus) => void;
  /** Default 500 ms. */
  minBackoffMs?: number;
  /** Default 30 s. */
  maxBackoffMs?: number;
  /** Default `{ type: ["container"] }`. */
  filters?: Record<string, string[]>;
}

/** A line longer than this is not an event: it is dropped. */
const MAX_LINE_CHARS = 1024 * 1024;
/** How many delivered events are remembered to drop their replay after a reconnect. */
const REMEMBERED = 4096;

export class EventWatcher {
  readonly #engine: DockerEngine;
  readonly #opts: Required<Omit<EventWatcherOptions, "onStatus" | "engine">> & Pick<EventWatcherOptions, "onStatus">;
  #running: Promise<void> | null = null;
  #stopped = true;
  #abort: AbortController | null = null;
  #wake: (() => void) | null = null;
  #timer: NodeJS.Timeout | null = null;
  #status: EventStreamStatus | null = null;
  /** Exact `timeNano` of the newest event delivered (a JSON number cannot hold it). */
  #lastNano: bigint | null = null;
  /** When the stream was last up, in ns, for `since` when no event came yet. */
  #connectedNano: bigint | null = null;
  readonly #delivered = new Set<string>();

  constructor(opts: EventWatcherOptions) {
    this.#engine = opts.engine;
    this.#opts = {
      onEvent: opts.onEvent,
      onStatus: opts.onStatus,
      minBackoffMs: opts.minBackoffMs ?? 500,
      maxBackoffMs: opts.maxBackoffMs ?? 30_000,
      filters: opts.filters ?? { type: ["container"] },
    };
  }

  /** The stream's state; null before the first connection attempt ends. */
  get status(): EventStreamStatus | null {
    return this.#status;
  }

  /** `since` as the daemon takes it ("1732553000.123456789"), once an event came. */
  get lastEventTime(): string | null {
    return this.#lastNano === null ? null : formatNano(this.#lastNano);
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#running = this.#loop().catch((err) => {
      log.error(processMessages().t("log.events.stopped"), { error: String(err) });
    });
  }

  /** Closes the stream and cancels any pending retry; resolves when all is closed. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort?.abort();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#wake?.();
    await this.#running;
    this.#running = null;
  }

  async #loop(): Promise<void> {
    let backoff = this.#opts.minBackoffMs;
    while (!this.#stopped) {
      const abort = new AbortController();
      this.#abort = abort;
      let error: DockerError;
      try {
        const query: Record<string, string> = { filters: JSON.stringify(this.#opts.filters) };
        const since = this.#lastNano ?? this.#connectedNano;
        if (since !== null) query.since = formatNano(since);
        const body = await this.#engine.openEvents(query, abort.signal);
        if (this.#stopped) break;
        this.#connectedNano = BigInt(Date.now()) * 1_000_000n;
        this.#setStatus(true);
        backoff = this.#opts.minBackoffMs;
        await this.#consume(body);
        if (this.#stopped) break;
        error = dockerError("unreachable", said("docker.eventsEnded", { where: this.#engine.where }));
      } catch (err) {
        if (this.#stopped) break;
        error = err instanceof DockerError ? err : toDockerError(err, { socketPath: this.#engine.where }, "the events stream");
      } finally {
        abort.abort();
        this.#abort = null;
      }
      if (this.#status?.connected) this.#connectedNano = BigInt(Date.now()) * 1_000_000n;
      this.#setStatus(false, error);
      log.debug(processMessages().t("log.events.down"), { in_ms: backoff, error: describeError(error) });
      await this.#sleep(backoff);
      backoff = Math.min(backoff * 2, this.#opts.maxBackoffMs);
    }
  }

  async #consume(body: AsyncIterable<Buffer>): Promise<void> {
    const decoder = new (process.getBuiltinModule("node:string_decoder").StringDecoder)("utf8");
    let pending = "";
    for await (const chunk of body) {
      if (this.#stopped) return;
      pending += decoder.write(chunk);
      for (let nl = pending.indexOf("\n"); nl >= 0; nl = pending.indexOf("\n")) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        this.#line(line);
      }
      if (pending.length > MAX_LINE_CHARS) {
        log.warn(processMessages().t("log.events.longLine"));
        pending = "";
      }
    }
    pending += decoder.end();
    if (pending.trim()) this.#line(pending);
  }

  #line(raw: string): void {
    const line = raw.trim();
    if (!line) return;
    let ev: DockerEvent;
    try {
      ev = JSON.parse(line) as DockerEvent;
    } catch {
      log.warn(processMessages().t("log.events.notJson"), { line: line.slice(0, 200) });
      return;
    }
    if (!ev || typeof ev !== "object" || typeof ev.Action !== "string") return;
    const nano = exactNano(line, ev);
    const key = `${nano}|${ev.Type}|${ev.Action}|${ev.Actor?.ID ?? ev.id ?? ""}`;
    if (this.#delivered.has(key)) return; // replayed by `since` after a reconnect
    this.#delivered.add(key);
    if (this.#delivered.size > REMEMBERED) {
      const oldest = this.#delivered.values().next().value;
      if (oldest !== undefined) this.#delivered.delete(oldest);
    }
    if (this.#lastNano === null || nano > this.#lastNano) this.#lastNano = nano;
    try {
      this.#opts.onEvent(ev);
    } catch (err) {
      log.error(processMessages().t("log.events.handlerFailed"), {
        action: ev.Action,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }

  #setStatus(connected: boolean, error?: DockerError): void {
    if (this.#status && this.#status.connected === connected) {
      if (!connected && error) this.#status = { ...this.#status, error };
      return;
    }
    this.#status = connected ? { connected, since: Date.now() } : { connected, since: Date.now(), ...(error ? { error } : {}) };
    try {
      this.#opts.onStatus?.(this.#status);
    } catch (err) {
      log.error(processMessages().t("log.events.statusFailed"), {
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }

  #sleep(ms: number): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    return new Promise((resolve) => {
      this.#wake = () => {
        this.#wake = null;
        if (this.#timer) clearTimeout(this.#timer);
        this.#timer = null;
        resolve();
      };
      this.#timer = setTimeout(() => this.#wake?.(), ms);
    });
  }
}

/** `timeNano` as written by the daemon (all digits), else from `time`. */
function exactNano(line: string, ev: DockerEvent): bigint {
  const m = /"timeNano"\s*:\s*(\d+)/.exec(line);
  if (m?.[1]) return BigInt(m[1]);
  if (typeof ev.timeNano === "number" && Number.isFinite(ev.timeNano)) return BigInt(Math.trunc(ev.timeNano));
  if (typeof ev.time === "number" && Number.isFinite(ev.time)) return BigInt(Math.trunc(ev.time)) * 1_000_000_000n;
  return 0n;
}

/** Nanoseconds since epoch as the daemon's `since` takes it: "seconds.nanoseconds". */
export function formatNano(nano: bigint): string {
  const sec = nano / 1_000_000_000n;
  const frac = nano % 1_000_000_000n;
  return `${sec}.${frac.toString().padStart(9, "0")}`;
}
