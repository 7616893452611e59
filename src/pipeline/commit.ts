/**
 * Stage 8, commit: the cycle's notifications join the outbox, each for the
 * receivers it was addressed to, and the new state is stored with them in one
 * transaction (`persist`, store/agent-db.ts). For a receiver that keeps alert
 * state (Alertmanager), an alert's newer state replaces its older one still
 * waiting in the outbox. A cycle that cannot be saved (a
 * full disk) still queues, and the caller prints, what it found.
 */
import type { Outbox, OutboxEntry } from "../notify/outbox.js";
import type { Addressed, AgentState } from "./cycle-data.js";

/** Stores a cycle's state and the outbox entries it made; returns why it could not, or undefined. Never throws. */
export type Persist = (state: AgentState, added: readonly OutboxEntry[]) => string | undefined;

export function commit(
  outbox: Outbox,
  addressed: readonly Addressed[],
  state: AgentState,
  persist: Persist,
  now: number,
  keepsState?: ReadonlySet<string>,
): { added: OutboxEntry[]; storageError?: string } {
  const added: OutboxEntry[] = [];
  for (const a of addressed) {
    // For a receiver that keeps alert state (keepsState), the alert's newer state replaces what still waits of it.
    const entry = outbox.enqueue(a.notification, a.receivers, now, keepsState);
    if (entry) added.push(entry);
  }
  const storageError = persist(state, added);
  return storageError ? { added, storageError } : { added };
}
