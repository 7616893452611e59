/**
 * The dashboard's files: `GET /` is `index.html` of the page directory, any
 * other GET a file in it. The page directory is `src/http/page/` (the
 * dashboard's own, written by its owner), copied to `dist/http/page/` by the
 * build (scripts/bundle.mjs); the bundled CLI's chunks find it from the
 * package's root. Only regular files under it, no dotfiles, no `..`.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { extname, join, resolve, sep } from "node:path";
import { catalogue, type Locale, messages } from "../i18n/messages.js";
import { PACKAGE_DIR } from "../version.js";
import { escapeHtml, PAGE_CSP, sendHtml } from "./respond.js";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json; charset=utf-8",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
  ".map": "application/json; charset=utf-8",
};

/** A file larger than this is not a dashboard asset. */
const MAX_FILE_BYTES = 8 * 1024 * 1024;

/**
 * The page directory: under the package's root (version.ts `PACKAGE_DIR`: the
 * nearest package.json named "lookout" above), `dist/http/page` when this code
 * runs from dist/ (tsc's output or the bundle's chunks), else `src/http/page`.
 */
export function defaultPageDir(): string {
  const here = import.meta.dirname;
  if (PACKAGE_DIR === undefined) return join(here, "page");
  return here.startsWith(join(PACKAGE_DIR, "dist") + sep) ? join(PACKAGE_DIR, "dist", "http", "page") : join(PACKAGE_DIR, "src", "http", "page");
}

/**
 * Serves `pathname` from `pageDir`; false when there is no such file (the
 * caller answers 404). `lang` (the config's `locale`) goes into index.html's
 * `<html lang>`, which the page's i18n.js reads to choose its catalogue.
 */
export function serveDashboardFile(res: ServerResponse, pageDir: string, pathname: string, lang: Locale = "en"): boolean {
  if (pathname === "/catalogue.js") return serveCatalogue(res, lang);
  const rel = pathname === "/" ? "index.html" : pathname.slice(1);
  const parts = rel.split("/");
  if (parts.some((p) => p === "" || p.startsWith(".") || p.includes("\\") || p.includes("\0"))) return false;
  const root = resolve(pageDir);
  const file = resolve(root, ...parts);
  if (!file.startsWith(root + sep)) return false;
  const type = TYPES[extname(file).toLowerCase()];
  let body: Buffer;
  try {
    const st = statSync(file);
    if (!st.isFile() || st.size > MAX_FILE_BYTES || type === undefined) return false;
    body = readFileSync(file);
    if (rel === "index.html") body = withLang(body, lang);
  } catch {
    if (pathname === "/") return noDashboard(res, pageDir, lang);
    return false;
  }
  sendPageFile(res, type, body);
  return true;
}

/** A file of the page, 200. */
function sendPageFile(res: ServerResponse, type: string, body: Buffer): void {
  res.writeHead(200, {
    "Content-Type": type,
    "Content-Length": body.length,
    // Checked with the server each time: a new Lookout brings a new dashboard.
    "Cache-Control": "no-cache",
    "Content-Security-Policy": PAGE_CSP,
  });
  res.end(body);
}

/**
 * index.html with `<html lang="…">` saying `lang` (the file's own says en),
 * and in another language the words it shows before (or without) its script
 * in that language: the noscript text and the skip link (the file's own are
 * the English catalogue's `page.noscript` and `page.skip`).
 */
export function withLang(body: Buffer, lang: Locale): Buffer {
  const html = body.toString("utf8");
  let tagged = html.replace(/<html lang="[^"]*"/, `<html lang="${lang}"`);
  if (lang !== "en") {
    const m = messages(lang);
    tagged = tagged
      .replace(/(<noscript>)[^<]*(<\/noscript>)/, (_, open: string, close: string) => `${open}${escapeHtml(m.t("page.noscript"))}${close}`)
      .replace(/(<a id="skip"[^>]*>)[^<]*(<\/a>)/, (_, open: string, close: string) => `${open}${escapeHtml(m.t("page.skip"))}${close}`);
  }
  return tagged === html ? body : Buffer.from(tagged, "utf8");
}

function noDashboard(res: ServerResponse, pageDir: string, lang: Locale): true {
  const m = messages(lang);
  const missing = existsSync(pageDir) ? m.t("page.noIndex", { dir: pageDir }) : m.t("page.noDir", { dir: pageDir });
  // The catalogue's texts hold no markup; the folder's name is escaped, the link is Lookout's own.
  const text = m.t("page.notInstalled", { why: escapeHtml(missing), api: '<a href="/api/v1/status">/api/v1/</a>' });
  const html = lang === "en" ? "<!doctype html>" : `<!doctype html><html lang="${lang}">`;
  sendHtml(res, 200, `${html}<meta charset="utf-8"><title>Lookout</title><h1>Lookout</h1><p>${text}</p>`);
  return true;
}

/** The page's words, `dash.*` of `lang`'s catalogue without the prefix: the module page/i18n.js imports. */
export function pageCatalogue(lang: Locale): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, text] of Object.entries(catalogue(lang))) if (key.startsWith("dash.")) out[key.slice(5)] = text;
  return out;
}

function serveCatalogue(res: ServerResponse, lang: Locale): true {
  // JSON is a JavaScript expression: the texts cannot end the module early.
  const body = Buffer.from(`export default ${JSON.stringify(pageCatalogue(lang))};\n`, "utf8");
  sendPageFile(res, TYPES[".js"]!, body);
  return true;
}
