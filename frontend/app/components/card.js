// A card on the board: an <article> named by its title, with what a glance needs.
import { useLayoutEffect, useRef, useState } from "preact/hooks";
import { html, ago, day } from "../html.js";

function FireFacts({ alert }) {
  if (!alert) return null;
  const facts = [];
  if (alert.severity) facts.push(html`<span class="chip sev">${alert.severity}</span>`);
  if (alert.status === "firing") {
    facts.push(html`<span class="burning">firing for ${ago(alert.starts_at || alert.first_seen_at)}</span>`);
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

// The way to move a card without dragging: a menu that takes the focus, moves it with the
// arrow keys, and closes on Escape (focus back on its button) or a click elsewhere.
function MoveMenu({ card, columns, onMove, onClose }) {
  const menu = useRef(null);
  const targets = columns.filter((c) => c.id !== card.column_id);
  useLayoutEffect(() => { // before the next key press can reach the ⋯ button
    menu.current.querySelector("button")?.focus();
    const opener = menu.current.parentElement.querySelector(".card-top button.move");
    const away = (event) => {
      if (!menu.current?.contains(event.target) && !opener?.contains(event.target)) onClose(false);
    };
    document.addEventListener("pointerdown", away);
    return () => document.removeEventListener("pointerdown", away);
  }, []);
  const keys = (event) => {
    const items = [...menu.current.querySelectorAll("button")];
    const at = items.indexOf(document.activeElement);
    const step = { ArrowDown: 1, ArrowUp: -1 }[event.key];
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      onClose(true);
    } else if (step) {
      event.preventDefault();
      event.stopPropagation();
      items[(at + step + items.length) % items.length]?.focus();
    } else if (event.key === "Tab") {
      onClose(false);
    }
  };
  const choose = (columnId, index) => () => { onClose(false); onMove(card, columnId, index); };
  return html`<div class="menu" role="menu" aria-label=${`Move ${card.title}`} ref=${menu} onKeyDown=${keys}>
    ${targets.map((c) => html`<button type="button" role="menuitem" onClick=${choose(c.id, null)}>To ${c.name}</button>`)}
    <button type="button" role="menuitem" onClick=${choose(card.column_id, 0)}>To the top</button>
    <button type="button" role="menuitem" onClick=${choose(card.column_id, Infinity)}>To the bottom</button>
  </div>`;
}

export function CardTile({ card, columns, onMove, onKey }) {
  const [menu, setMenu] = useState(false);
  const opener = useRef(null);
  const close = (refocus) => {
    setMenu(false);
    if (refocus) opener.current?.focus();
  };
  const alert = card.alert;
  const classes = [
    "card", `kind-${card.kind}`, `prio-${card.priority}`,
    alert?.status === "firing" ? "burning-card" : "",
    alert && alert.status !== "firing" && card.status === "open" ? "quiet-fire" : "",
    card.status === "done" ? "done" : "",
    menu ? "menu-open" : "",
  ].join(" ");
  const titleId = `card-title-${card.id}`;
  return html`<article class=${classes} data-card-id=${card.id} tabindex="0" aria-labelledby=${titleId} onKeyDown=${(e) => onKey(e, card)}>
    <div class="card-top">
      <a class="card-title" id=${titleId} href=${`/cards/${card.id}`}>${card.title}</a>
      <button type="button" class="quiet move" aria-haspopup="menu" aria-expanded=${menu} ref=${opener}
        aria-label=${`Move ${card.title}`} onClick=${() => setMenu(!menu)}>⋯</button>
    </div>
    ${menu ? html`<${MoveMenu} card=${card} columns=${columns} onMove=${onMove} onClose=${close} />` : null}
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
