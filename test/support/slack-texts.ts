import type { RecordedRequest } from "./fake-slack.js";

/** Every text of a Slack message: its title and each block's (a group message has one section per alert). */
export function textsOf(r: RecordedRequest): string[] {
  const body = r.body as { text?: string; attachments?: Array<{ blocks?: Array<{ text?: { text?: string }; fields?: Array<{ text?: string }> }> }> };
  const out = [body?.text ?? ""];
  for (const a of body?.attachments ?? []) {
    for (const b of a.blocks ?? []) {
      if (b.text?.text) out.push(b.text.text);
      for (const f of b.fields ?? []) if (f.text) out.push(f.text);
    }
  }
  return out;
}
