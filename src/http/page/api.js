/**
 * The dashboard's only way to the server: JSON from `/api/v1/` (docs/api.md),
 * same origin, with the session cookie. A 401 sends the browser to the sign-in
 * form and back here after. Changes carry the API's CSRF header.
 */
import { t } from "./i18n.js";

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params ?? {})) {
    if (v === undefined || v === null) continue;
    for (const one of Array.isArray(v) ? v : [v]) q.append(k, String(one));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

function signIn() {
  const next = `${location.pathname}${location.search}${location.hash}`;
  location.assign(`/login?next=${encodeURIComponent(next)}`);
}

async function request(method, path, { params, body } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-Lookout-Request"] = "1";
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let res;
  try {
    res = await fetch(`/api/v1/${path}${query(params)}`, {
      method,
      headers,
      credentials: "same-origin",
      // Sends this page's Origin with a change (under no-referrer a browser sends "Origin: null", which the API refuses).
      referrerPolicy: "same-origin",
      cache: "no-store",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, t("error.network"));
  }
  if (res.status === 401) {
    signIn();
    throw new ApiError(401, "signed out");
  }
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) {
    const why = res.status === 409 ? t("error.history_off") : (data?.error ?? `HTTP ${res.status}`);
    throw new ApiError(res.status, why);
  }
  return data;
}

export const api = {
  status: () => request("GET", "status"),
  containers: () => request("GET", "containers"),
  logs: (name, tail = 200) => request("GET", `containers/${encodeURIComponent(name)}/logs`, { params: { tail } }),
  alerts: (from, to) => request("GET", "alerts", { params: { from, to } }),
  events: (params) => request("GET", "events", { params }),
  history: (params) => request("GET", "history", { params }),
  silences: () => request("GET", "silences"),
  addSilence: (body) => request("POST", "silences", { body }),
  removeSilence: (id) => request("DELETE", `silences/${encodeURIComponent(id)}`),
  notifications: (params) => request("GET", "notifications", { params }),
};
