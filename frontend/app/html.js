// One place for the template tag and the small formatting helpers every view uses.
// Everything shown is text: no view builds DOM from an HTML string (markdown.js aside,
// which renders with raw HTML off).
import { h } from "preact";
import htm from "htm";

export const html = htm.bind(h);

export const KINDS = ["fire", "maintenance", "change", "project", "automation"];
export const PRIORITIES = ["low", "medium", "high", "urgent"];

/** "12 min", "3 h", "2 d" since a time (or until, for a future time). */
export function ago(iso, now = Date.now()) {
  if (!iso) return "";
  const seconds = Math.abs(now - Date.parse(iso)) / 1000;
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} d`;
}

export function day(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleDateString(undefined, { month: "short", day: "numeric" });
}

export function when(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleString(undefined, {
    month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
  });
}

/** Only http(s) URLs become links; anything else is shown as text. */
export function safeUrl(value) {
  try {
    const url = new URL(String(value));
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

export function ExternalLink({ href, children }) {
  const url = safeUrl(href);
  if (!url) return html`<span>${children || String(href)}</span>`;
  return html`<a href=${url} target="_blank" rel="noopener noreferrer">${children || url}</a>`;
}
