// Entry point: find the page from the URL, learn who is logged in, draw the page.
// Pages are separate URLs served by the same shell; links are ordinary links.
import { render } from "preact";
import { get, me, toLogin } from "./api.js";
import { html } from "./html.js";
import { Layout } from "./components/layout.js";
import { LoginPage } from "./pages/login.js";
import { BoardsPage } from "./pages/boards.js";
import { BoardPage } from "./pages/board.js";
import { CardPage } from "./pages/card.js";
import { IntegrationsPage } from "./pages/integrations.js";
import { SchedulesPage } from "./pages/schedules.js";
import { AutomationPage } from "./pages/automation.js";
import { ReportsPage } from "./pages/reports.js";

const ROUTES = [
  [/^\/$/, () => html`<${BoardsPage} />`, "Boards"],
  [/^\/boards\/([a-z0-9-]+)$/, (m) => html`<${BoardPage} slug=${m[1]} boardId=${boardMeta()} />`, "Board"],
  [/^\/cards\/(\d+)$/, (m) => html`<${CardPage} cardId=${Number(m[1])} />`, "Card"],
  [/^\/integrations$/, () => html`<${IntegrationsPage} />`, "Integrations"],
  [/^\/schedules$/, () => html`<${SchedulesPage} />`, "Schedules"],
  [/^\/automation$/, () => html`<${AutomationPage} />`, "Rules, webhooks and deliveries"],
  [/^\/reports$/, () => html`<${ReportsPage} />`, "Reports"],
];

function boardMeta() {
  const meta = document.querySelector('meta[name="firelane-board"]');
  return meta ? Number(meta.content) : null;
}

function NotFound() {
  return html`<main class="page"><h1>Not found</h1><p>Nothing lives at this address. <a href="/">Back to the boards</a>.</p></main>`;
}

async function start() {
  const root = document.getElementById("app");
  root.textContent = ""; // the shell's "Loading Firelane…" (Preact would keep it beside the page)
  const path = location.pathname.replace(/\/+$/, "") || "/";
  if (path === "/login") {
    document.title = "Log in · Firelane";
    render(html`<${LoginPage} />`, root);
    return;
  }
  try {
    me.value = await get("/auth/me");
  } catch {
    toLogin();
    return;
  }
  const route = ROUTES.find(([pattern]) => pattern.test(path));
  const page = route ? route[1](path.match(route[0])) : html`<${NotFound} />`;
  document.title = `${route ? route[2] : "Not found"} · Firelane`;
  render(html`<${Layout} path=${path}>${page}<//>`, root);
}

start();
