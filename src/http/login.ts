/**
 * The sign-in form: a plain HTML form (no script: the page's CSP forbids
 * inline script anyway) that posts the token once; the server answers with a
 * session cookie (auth.ts). `next` brings the user back where they were going:
 * only a path of this server is accepted, so the form cannot be used to send
 * someone elsewhere after signing in.
 */
import { escapeHtml } from "./respond.js";

/** `next` if it is a path of this server (`/x`, not `//host` or `/\host`), else `/`. */
export function localPath(next: string | null | undefined): string {
  if (!next?.startsWith("/") || next.startsWith("//") || next.includes("\\") || /[\u0000-\u001f\u007f]/.test(next) || next.length > 2000) return "/";
  return next;
}

export function loginPage(opts: { next: string; wrong?: string; hostname: string }): string {
  const message = opts.wrong ? `<p class="wrong" role="alert">${escapeHtml(opts.wrong)}</p>` : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · Lookout · ${escapeHtml(opts.hostname)}</title>
</head>
<body>
<main>
<h1>Lookout on ${escapeHtml(opts.hostname)}</h1>
<form method="post" action="/login">
${message}
<p><label for="token">Token (http.auth_token)</label><br>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus size="40"></p>
<input type="hidden" name="next" value="${escapeHtml(opts.next)}">
<p><button type="submit">Sign in</button></p>
</form>
</main>
</body>
</html>
`;
}
