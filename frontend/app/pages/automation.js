// /automation: rules, webhooks, and the delivery log with redeliver.
import { useEffect, useState } from "preact/hooks";
import { html, when } from "../html.js";
import { all, del, get, me, patch, post, query } from "../api.js";
import { tell } from "../state.js";
import { RuleForm } from "../components/ruleform.js";

export function AutomationPage() {
  const [rules, setRules] = useState(null);
  const [hooks, setHooks] = useState(null);
  const [deliveries, setDeliveries] = useState(null);
  const [status, setStatus] = useState("");
  const [secret, setSecret] = useState(null);
  const [removing, setRemoving] = useState(null); // a rule or webhook whose removal is being confirmed
  const admin = me.value?.user?.role === "admin";
  const loadDeliveries = () => get(`/deliveries${query({ status, limit: 50 })}`).then((p) => setDeliveries(p.items)).catch((e) => tell("error", e.message));
  const loadRules = () => all("/rules").then(setRules).catch(() => setRules([]));
  async function changeRule(promise, said) {
    setRemoving(null);
    try { await promise; tell("info", said); loadRules(); } catch (e) { tell("error", e.message); }
  }
  useEffect(() => {
    loadRules();
    all("/webhooks").then(setHooks).catch(() => setHooks([]));
  }, []);
  useEffect(() => { loadDeliveries(); }, [status]);
  async function redeliver(d) {
    try { await post(`/deliveries/${d.id}/redeliver`); tell("info", `Delivery ${d.id} queued again.`); loadDeliveries(); }
    catch (e) { tell("error", e.message); }
  }
  async function changeHook(promise, said) {
    setRemoving(null);
    try { await promise; tell("info", said); setHooks(await all("/webhooks")); loadDeliveries(); }
    catch (e) { tell("error", e.message); }
  }
  async function createHook(event) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    try {
      const events = String(data.get("events")).split(",").map((x) => x.trim()).filter(Boolean);
      const created = await post("/webhooks", { url: data.get("url"), events: events.length ? events : ["*"] });
      setSecret(created);
      setHooks(await all("/webhooks"));
    } catch (e) { tell("error", e.message); }
  }
  return html`<main class="page">
    <h1>Rules, webhooks and deliveries</h1>
    <section aria-labelledby="rules-h"><h2 id="rules-h">Rules</h2>
      ${rules && !rules.length ? html`<p class="empty">No rules: nothing happens to cards by itself. ${admin ? "Make one below (or with POST /api/v1/rules, which takes more)." : "An admin can make them."}</p>` : null}
      ${rules?.length ? html`<table><thead><tr><th>Name</th><th>When</th><th>Does</th><th>Active</th>${admin ? html`<th></th>` : null}</tr></thead><tbody>
        ${rules.map((r) => html`<tr key=${r.id}><td>${r.name}</td><td><code>${r.trigger}</code></td><td>${r.actions.map((a) => a.type).join(", ")}</td><td>${r.is_active ? "yes" : "no"}</td>
          ${admin ? html`<td class="row-actions">
            <button type="button" class="quiet" onClick=${() => changeRule(patch(`/rules/${r.id}`, { is_active: !r.is_active }), `Rule “${r.name}”: ${r.is_active ? "paused" : "active again"}.`)}>${r.is_active ? "Pause" : "Resume"}</button>
            ${removing === `rule-${r.id}`
              ? html`<button type="button" class="danger" onClick=${() => changeRule(del(`/rules/${r.id}`), `Rule “${r.name}” removed.`)}>Remove the rule</button> <button type="button" class="quiet" onClick=${() => setRemoving(null)}>Keep it</button>`
              : html`<button type="button" class="quiet" aria-label=${`Remove ${r.name}`} onClick=${() => setRemoving(`rule-${r.id}`)}>Remove</button>`}</td>` : null}</tr>`)}</tbody></table>` : null}
      ${admin ? html`<${RuleForm} onMade=${loadRules} />` : null}
    </section>
    <section aria-labelledby="hooks-h"><h2 id="hooks-h">Webhooks</h2>
      ${secret ? html`<p class="notice notice-info" role="status">Signing secret for ${secret.url} (shown once): <code>${secret.secret}</code></p>` : null}
      ${hooks && !hooks.length ? html`<p class="empty">No webhooks: nothing is sent out.</p>` : null}
      ${hooks?.length ? html`<table><thead><tr><th>URL</th><th>Events</th><th>Active</th>${admin ? html`<th></th>` : null}</tr></thead><tbody>
        ${hooks.map((h) => html`<tr key=${h.id}><td><code>${h.url}</code></td><td>${(h.events || []).join(", ")}</td><td>${h.is_active === false ? "no" : "yes"}</td>
          ${admin ? html`<td class="row-actions">
            <button type="button" class="quiet" onClick=${() => changeHook(patch(`/webhooks/${h.id}`, { is_active: !h.is_active }), `${h.url}: ${h.is_active ? "paused" : "active again"}.`)}>${h.is_active ? "Pause" : "Resume"}</button>
            ${removing === `hook-${h.id}`
              ? html`<button type="button" class="danger" onClick=${() => changeHook(del(`/webhooks/${h.id}`), `${h.url}: removed.`)}>Remove, with its delivery log</button> <button type="button" class="quiet" onClick=${() => setRemoving(null)}>Keep it</button>`
              : html`<button type="button" class="quiet" aria-label=${`Remove ${h.url}`} onClick=${() => setRemoving(`hook-${h.id}`)}>Remove</button>`}</td>` : null}</tr>`)}</tbody></table>` : null}
      ${admin ? html`<form class="inline-form" onSubmit=${createHook} aria-label="New webhook">
        <label>URL <input name="url" type="url" required placeholder="https://ci.example.com/firelane" /></label>
        <label>Events <input name="events" placeholder="alert.fired, card.done (empty: all)" /></label>
        <button type="submit" class="primary">Add webhook</button></form>` : null}
    </section>
    <section aria-labelledby="deliveries-h"><h2 id="deliveries-h">Deliveries</h2>
      <label>Status <select value=${status} onChange=${(e) => setStatus(e.currentTarget.value)}>
        ${["", "pending", "delivered", "failed", "dead"].map((s) => html`<option value=${s}>${s || "any"}</option>`)}</select></label>
      ${deliveries && !deliveries.length ? html`<p class="empty">No deliveries${status ? ` with status ${status}` : ""}.</p>` : null}
      ${deliveries?.length ? html`<table><thead><tr><th>When</th><th>Event</th><th>Status</th><th>Attempts</th><th>Last answer</th><th></th></tr></thead><tbody>
        ${deliveries.map((d) => html`<tr key=${d.id}><td>${when(d.created_at)}</td><td>${d.event_type}</td><td>${d.status}</td><td>${d.attempts}</td>
          <td>${d.last_status_code || ""} ${d.last_error || ""}</td>
          <td>${admin && d.status !== "pending" ? html`<button type="button" class="quiet" onClick=${() => redeliver(d)}>Redeliver</button>` : null}</td></tr>`)}</tbody></table>` : null}
    </section>
  </main>`;
}
