// The one API client: JSON in and out, the session cookie, X-CSRF-Token on writes,
// errors as ApiError carrying the server's {"error", "detail"}.
import { signal } from "@preact/signals";

export const API = "/api/v1";
export const me = signal(null); // {user, csrf_token} once known

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.detail || `The server answered ${status}.`);
    this.status = status;
    this.code = body?.error || "error";
    this.body = body || {};
  }
}

function csrfToken() {
  if (me.value?.csrf_token) return me.value.csrf_token;
  const found = document.cookie.split("; ").find((c) => c.startsWith("firelane_csrf="));
  return found ? decodeURIComponent(found.slice("firelane_csrf=".length)) : "";
}

export async function request(method, path, body, { signal: abort, allow401 } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRF-Token"] = csrfToken();
  let response;
  try {
    response = await fetch(API + path, {
      method, headers, signal: abort, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, { error: "offline", detail: "The server cannot be reached." });
  }
  if (response.status === 401 && !allow401) {
    toLogin();
    throw new ApiError(401, { error: "not_authenticated", detail: "Log in again." });
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export const get = (path, options) => request("GET", path, undefined, options);
export const post = (path, body) => request("POST", path, body ?? {});
export const patch = (path, body) => request("PATCH", path, body);
export const del = (path) => request("DELETE", path);

export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "") search.set(key, value);
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

export function toLogin() {
  const next = location.pathname + location.search;
  if (location.pathname !== "/login") location.assign(`/login?next=${encodeURIComponent(next)}`);
}

/** Every page of a list (for short lists: boards, columns, integrations). */
export async function all(path, limit = 200) {
  const items = [];
  let cursor = null;
  do {
    const sep = path.includes("?") ? "&" : "?";
    const page = await get(`${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && items.length < 5000);
  return items;
}
