// A card on the board: an <article> named by its title, with what a glance needs.
import { useState } from "preact/hooks";
import { html, ago, day } from "../html.js";

function FireFacts({ alert }) {
  if (!alert) return null;
  const facts = [];
  if (alert.severity) facts.push(html`<span class="chip sev">${alert.severity}</span>`);
  if (alert.status === "firing") {
    facts.push(html`<span class="burning">firing for ${ago(alert.first_seen_at)}</span>`);
  } else if (alert.status === "resolved") {
    facts.push(html`<span class="resolved-mark">resolved at source</span>`);
  } else if (alert.status) {
    facts.push(html`<span class="muted">${alert.status}</span>`);
  }
  if (alert.occurrences > 1) {
    facts.push(html`<span class="chip" title="occurrences">×${alert.occurrences}</span>`);
  }
  if (alert.flaps > 0) {
    facts.push(html`<span class="chip flap" title=${`flapped ${alert.flaps} times`}>↯ flapping</span>`);
  }
  return html`<div class="facts">${facts}</div>`;
}

function MoveMenu({ card, columns, onMove, onClose }) {
  const targets = columns.filter((c) => c.id !== card.column_id);
  const keys = (event) => {
    if (event.key === "Escape") onClose();
  };
  return html`<div class="menu" role="menu" aria-label=${`Move ${card.title}`} onKeyDown=${keys}>
    ${targets.map((c) => html`<button type="button" role="menuitem" onClick=${() => { onClose(); onMove(card, c.id, null); }}>To ${c.name}</button>`)}
    <button type="button" role="menuitem" onClick=${() => { onClose(); onMove(card, card.column_id, 0); }}>To the top</button>
    <button type="button" role="menuitem" onClick=${() => { onClose(); onMove(card, card.column_id, Infinity); }}>To the bottom</button>
  </div>`;
}

export function CardTile({ card, columns, onMove, onKey }) {
  const [menu, setMenu] = useState(false);
  const alert = card.alert;
  const classes = [
    "card", `kind-${card.kind}`, `prio-${card.priority}`,
    alert?.status === "firing" ? "burning-card" : "",
    alert && alert.status !== "firing" && card.status === "open" ? "quiet-fire" : "",
    card.status === "done" ? "done" : "",
  ].join(" ");
  const titleId = `card-title-${card.id}`;
  return html`<article class=${classes} data-card-id=${card.id} tabindex="0" aria-labelledby=${titleId} onKeyDown=${(e) => onKey(e, card)}>
    <div class="card-top">
      <a class="card-title" id=${titleId} href=${`/cards/${card.id}`}>${card.title}</a>
      <button type="button" class="quiet move" aria-haspopup="menu" aria-expanded=${menu}
        aria-label=${`Move ${card.title}`} onClick=${() => setMenu(!menu)}>⋯</button>
    </div>
    ${menu ? html`<${MoveMenu} card=${card} columns=${columns} onMove=${onMove} onClose=${() => setMenu(false)} />` : null}
    ${card.kind === "fire" ? html`<${FireFacts} alert=${alert} />` : null}
    <div class="meta">
      <span class=${`chip kind kind-${card.kind}`}>${card.kind}</span>
      ${card.priority !== "medium" ? html`<span class=${`chip prio prio-${card.priority}`}>${card.priority}</span>` : null}
      ${card.labels.map((label) => html`<span class="chip label">${label}</span>`)}
      ${card.assignee ? html`<span class="assignee" title="assignee">@${card.assignee}</span>` : null}
      ${card.due_at ? html`<span class=${Date.parse(card.due_at) < Date.now() && card.status === "open" ? "due overdue" : "due"}>due ${day(card.due_at)}</span>` : null}
      ${card.checklist_total ? html`<span class="muted" title="checklist">☑ ${card.checklist_done}/${card.checklist_total}</span>` : null}
    </div>
  </article>`;
}
