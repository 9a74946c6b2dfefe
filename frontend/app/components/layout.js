// The frame of every page: skip link, navigation, the notice bar and the live region.
import { html } from "../html.js";
import { me, post } from "../api.js";
import { announcement, notice } from "../state.js";

const LINKS = [
  ["/", "Boards"],
  ["/integrations", "Integrations"],
  ["/schedules", "Schedules"],
  ["/automation", "Automation"],
  ["/reports", "Reports"],
];

async function logout() {
  try { await post("/auth/logout"); } finally { location.assign("/login"); }
}

export function Notice() {
  const current = notice.value;
  if (!current) return null;
  return html`<div class=${`notice notice-${current.kind}`} role=${current.kind === "error" ? "alert" : "status"}>
    <span>${current.text}</span>
    <button type="button" class="quiet" aria-label="Dismiss" onClick=${() => { notice.value = null; }}>×</button>
  </div>`;
}

export function Layout({ path, children }) {
  const user = me.value?.user;
  const current = (href) => (href === "/" ? path === "/" || path.startsWith("/boards") : path.startsWith(href));
  return html`
    <a class="skip" href="#main">Skip to content</a>
    <header class="topbar">
      <a class="brand" href="/"><img src="/static/favicon.svg" alt="" width="20" height="20" />Firelane</a>
      <nav aria-label="Main">
        ${LINKS.map(([href, label]) => html`<a href=${href} aria-current=${current(href) ? "page" : undefined}>${label}</a>`)}
      </nav>
      <div class="who">
        ${user ? html`<span>${user.name} <small>(${user.role})</small></span>` : null}
        <button type="button" class="quiet" onClick=${logout}>Log out</button>
      </div>
    </header>
    <${Notice} />
    <div id="main">${children}</div>
    <div class="sr-only" aria-live="polite" role="status">${announcement.value}</div>`;
}
