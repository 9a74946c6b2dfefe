// /integrations: where alerts come from. The ingest URL and token are shown once, with a
// ready-to-paste Alertmanager receiver and a Grafana contact point hint.
import { useEffect, useState } from "preact/hooks";
import { html } from "../html.js";
import { all, me, post } from "../api.js";
import { announce, tell } from "../state.js";
import { BoardColumnFields, numberOrNull, useBoards } from "../components/boardpicker.js";

function alertmanagerSnippet(created) {
  return `receivers:
  - name: firelane
    webhook_configs:
      - url: ${created.ingest_url}
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: ${created.token}`;
}

// A test alert in the integration's own format, so that "Try it" makes a fire card.
function sample(created) {
  const labels = { alertname: "DiskFull", instance: "web-3", severity: "critical" };
  const alert = { status: "firing", labels, annotations: { summary: "Disk full on web-3" } };
  if (created.kind === "alertmanager" || created.kind === "grafana") return { version: "4", status: "firing", alerts: [alert] };
  if (created.kind === "pagerduty") {
    return { routing_key: created.token, event_action: "trigger", dedup_key: "web-3/disk",
      payload: { summary: "Disk full on web-3", source: "web-3", severity: "critical" } };
  }
  return { title: "Disk full on web-3", severity: "critical", key: "web-3/disk" };
}

function Created({ created }) {
  return html`<section class="card-panel secret" aria-labelledby="created-h">
    <h2 id="created-h">“${created.name}” is ready: copy its token now</h2>
    <p>The token is shown only this once (it is stored hashed). Lost it? "Rotate token" makes a new one and retires this one.</p>
    <dl class="facts-list"><dt>Ingest URL</dt><dd><code>${created.ingest_url}</code></dd><dt>Token</dt><dd><code>${created.token}</code></dd></dl>
    <h3>Alertmanager</h3>
    <pre>${alertmanagerSnippet(created)}</pre>
    <h3>Grafana</h3>
    <p>Contact point → Webhook, URL = the ingest URL, <em>Authorization header</em> scheme <code>Bearer</code> with the token.</p>
    <h3>Try it</h3>
    <pre>${`curl -H 'Authorization: Bearer ${created.token}' -H 'Content-Type: application/json' \\\n  -d '${JSON.stringify(sample(created))}' ${created.ingest_url}`}</pre>
  </section>`;
}

export function IntegrationsPage() {
  const boards = useBoards();
  const [items, setItems] = useState(null);
  const [created, setCreated] = useState(null);
  const load = () => all("/integrations").then(setItems).catch((e) => tell("error", e.message));
  useEffect(() => { load(); }, []);
  async function create(event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    try {
      const answer = await post("/integrations", {
        name: form.get("name"), kind: form.get("kind"), board_id: Number(form.get("board_id")),
        column_id: numberOrNull(form.get("column_id")),
      });
      setCreated(answer);
      load();
    } catch (e) { tell("error", e.message); }
  }
  // Rotating retires the token at once: the first click asks, the second rotates.
  const [asking, setAsking] = useState(null);
  async function rotate(integration) {
    setAsking(null);
    try {
      setCreated(await post(`/integrations/${integration.id}/rotate-token`));
      announce(`${integration.name} has a new token; the old one is refused from now on.`);
    } catch (e) { tell("error", e.message); }
  }
  const admin = me.value?.user?.role === "admin";
  const boardName = (id) => boards.find((b) => b.id === id)?.name || `board ${id}`;
  return html`<main class="page">
    <h1>Integrations</h1>
    <p class="muted">Each sender of alerts (an Alertmanager, a Grafana, a script) gets an integration: its alerts become fire cards.</p>
    ${created ? html`<${Created} created=${created} />` : null}
    ${items && !items.length ? html`<p class="empty">No integrations yet. ${admin ? "Create one below, then point Alertmanager at its ingest URL." : "Ask an admin to create one."}</p>` : null}
    ${items?.length ? html`<table><thead><tr><th>Name</th><th>Kind</th><th>Board</th><th>Ingest URL</th><th>Enabled</th>${admin ? html`<th></th>` : null}</tr></thead>
      <tbody>${items.map((i) => html`<tr key=${i.id}><td>${i.name}</td><td>${i.kind}</td><td>${boardName(i.board_id)}</td><td><code>${i.ingest_url}</code></td><td>${i.enabled ? "yes" : "no"}</td>
        ${admin ? html`<td class="row-actions">${asking === i.id
          ? html`<button type="button" class="danger" onClick=${() => rotate(i)}>Rotate: the old token stops working</button> <button type="button" class="quiet" onClick=${() => setAsking(null)}>Keep it</button>`
          : html`<button type="button" class="quiet" aria-label=${`Rotate the token of ${i.name}`} onClick=${() => setAsking(i.id)}>Rotate token</button>`}</td>` : null}</tr>`)}</tbody></table>` : null}
    ${admin ? html`<h2>New integration</h2><form class="inline-form" onSubmit=${create} aria-label="New integration">
      <label>Name <input name="name" required maxlength="120" /></label>
      <label>Kind <select name="kind">${["alertmanager", "grafana", "pagerduty", "generic"].map((k) => html`<option>${k}</option>`)}</select></label>
      <${BoardColumnFields} boards=${boards} />
      <button type="submit" class="primary">Create integration</button>
    </form>` : null}
  </main>`;
}
