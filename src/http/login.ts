/**
 * The sign-in form: a plain HTML form (no script: the page's CSP forbids
 * inline script anyway) that posts the token once; the server answers with a
 * session cookie (auth.ts). `next` brings the user back where they were going:
 * only a path of this server is accepted, so the form cannot be used to send
 * someone elsewhere after signing in. In the agent's language (`locale`).
 */
import { type Locale, messages } from "../i18n/messages.js";
import { escapeHtml } from "./respond.js";

/** `next` if it is a path of this server (`/x`, not `//host` or `/\host`), else `/`. */
export function localPath(next: string | null | undefined): string {
  if (!next?.startsWith("/") || next.startsWith("//") || next.includes("\\") || /[\u0000-\u001f\u007f]/.test(next) || next.length > 2000) return "/";
  return next;
}

/** Why the form is shown again: a wrong token, or too many of them (wait `seconds`). */
export type LoginRefusal = { wrong: true } | { tooMany: number };

export function loginPage(opts: { next: string; refused?: LoginRefusal; hostname: string; locale?: Locale }): string {
  const m = messages(opts.locale);
  const r = opts.refused;
  const wrong = r === undefined ? undefined : "tooMany" in r ? m.t("login.tooMany", { seconds: r.tooMany }) : m.t("login.wrong");
  const message = wrong ? `<p class="wrong" role="alert">${escapeHtml(wrong)}</p>` : "";
  return `<!doctype html>
<html lang="${m.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(m.t("login.title", { hostname: opts.hostname }))}</title>
</head>
<body>
<main>
<h1>${escapeHtml(m.t("login.heading", { hostname: opts.hostname }))}</h1>
<form method="post" action="/login">
${message}
<p><label for="token">${escapeHtml(m.t("login.token"))}</label><br>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus size="40"></p>
<input type="hidden" name="next" value="${escapeHtml(opts.next)}">
<p><button type="submit">${escapeHtml(m.t("login.submit"))}</button></p>
</form>
</main>
</body>
</html>
`;
}
