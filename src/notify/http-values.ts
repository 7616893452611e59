/** Checks and encodings every HTTP receiver (Slack, webhooks, the heartbeat) applies to what it sends. */

/** A header value HTTP accepts (visible ASCII), whatever the id holds. */
export function headerValue(text: string): string {
  return /^[\x21-\x7e]*$/.test(text) ? text : encodeURIComponent(text);
}

export function isHttpUrl(raw: string): boolean {
  try {
    const url = new URL(raw);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}
