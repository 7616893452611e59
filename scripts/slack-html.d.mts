/** Types of scripts/slack-html.mjs, for the TypeScript that imports it (test/docs/slack-picture.test.ts). */

/** How the reader sees dates: `locale` (en-US), `timeZone` (UTC), and `now` (ms) for "Today". */
export interface ReaderOptions {
  locale?: string;
  timeZone?: string;
  now?: number;
}

/** Any Slack payload: it is drawn as it is, unknown blocks said as such. */
export interface AnyPayload {
  text?: string;
  attachments?: ReadonlyArray<{ color?: string; blocks?: ReadonlyArray<{ type: string }> }>;
}

export function escapeHtml(text: string): string;
export function mrkdwnToHtml(text: string, opts?: ReaderOptions): string;
export function slackMessageHtml(payload: AnyPayload, opts?: Omit<ReaderOptions, "now"> & { at?: number; botName?: string }): string;
export function slackPageHtml(messagesHtml: string[], opts?: { lang?: string; channel?: string }): string;
