/**
 * What the history keeps besides samples: events. A collector reports what it
 * saw happen to a container (`ContainerEvent`, in `CollectResult.events`); the
 * record stage (pipeline/record.ts) turns those, the alerts' transitions and
 * the notifications held back into `HistoryEvent`s, and the store keeps them
 * (store/history.ts), with the notifications sent and given up on.
 */

/** What happened to a container, as the Docker collector saw it. */
export type ContainerEventKind = "start" | "restart" | "die" | "stop" | "oom" | "health" | "redeploy";

export interface ContainerEvent {
  kind: ContainerEventKind;
  /** When it happened, ms since epoch. */
  at: number;
  /** The container's metric labels (container, image, compose_project, compose_service). */
  labels: Record<string, string>;
  /** `die`, `stop`, `oom`: the exit code; null when Docker did not say. */
  exitCode?: number | null;
  /** `die`: what Lookout made of it (`stop` is a requested one). */
  cause?: "crash" | "oom" | "clean" | "expected";
  /** `health`: the new status (healthy, unhealthy, starting). */
  health?: string;
  /** `redeploy`: the image it ran before (its labels hold the new one). */
  previousImage?: string;
  /** Found by inspection after the fact (the event stream was down, or `lookout check` from cron), not seen live. */
  reconciled?: boolean;
}

export type HistoryEventKind =
  | "alert.firing"
  | "alert.escalated"
  | "alert.resolved"
  | "alert.flapping"
  | "notification.sent"
  | "notification.given_up"
  | "notification.held"
  | `container.${ContainerEventKind}`;

/** One line of the events journal. */
export interface HistoryEvent {
  at: number;
  kind: HistoryEventKind;
  /** What it is about: an alert's fingerprint, a container's name. */
  subject: string;
  /** The alert's or the container's labels. */
  labels: Record<string, string>;
  /** The rest, by kind: severity and value, receiver and error, exit code… */
  data: Record<string, unknown>;
}
