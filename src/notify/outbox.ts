/**
 * The outbox's data: each notification with the receivers that have not yet
 * accepted it, and what was given up on. The dispatcher (notify/dispatcher.ts)
 * serves it; the store (store/agent-store.ts) keeps it in the database through
 * the dispatcher's DeliveryJournal.
 */
import type { Notification } from "../model/notification.js";

export interface Delivery {
  /** Receiver name. */
  receiver: string;
  attempts: number;
  /** Not before this time (backoff or Retry-After), ms since epoch. */
  nextAttemptAt: number;
  firstAttemptAt: number | null;
  lastError: string | null;
}

export interface OutboxEntry {
  /** Its row (the order it was made in); set once stored. */
  seq?: number;
  notification: Notification;
  /** Receivers that have not yet accepted it. The entry leaves the outbox when this is empty. */
  pending: Delivery[];
}

export interface FailedDelivery {
  seq?: number;
  notificationId: string;
  title: string;
  receiver: string;
  error: string;
  at: number;
  /** When every receiver had been told (a message saying it could not be delivered was accepted); null until then. */
  reportedAt?: number | null;
  /** The receivers told so far, each with when its message was accepted. */
  reportedTo?: Record<string, number>;
}

/** An item of a receiver's queue: an outbox entry and its delivery to that receiver. */
export interface QueuedDelivery {
  entry: OutboxEntry;
  delivery: Delivery;
}

/** What the dispatcher serves: the outbox and the failures it records. */
export interface OutboxState {
  outbox: OutboxEntry[];
  failed: FailedDelivery[];
}

/** How many failed deliveries are kept for `status`. */
export const FAILED_KEPT = 100;
