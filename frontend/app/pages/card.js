// /cards/{id}: everything about one card. Edits carry the version read; when someone else
// changed the card meanwhile (409), their card is shown and what was typed is kept.
import { useEffect, useRef, useState } from "preact/hooks";
import { html, KINDS, PRIORITIES, when, ExternalLink } from "../html.js";
import { all, get, patch, post, del } from "../api.js";
import { BoardStream } from "../live.js";
import { tell, announce } from "../state.js";
import { Markdown } from "../components/markdown.js";

const FIELDS = ["title", "description", "kind", "priority", "labels", "assignee", "due_at", "time_spent_minutes", "estimate_minutes", "automates"];

// A datetime-local input holds the person's local time: the stored UTC moment, shifted.
function localInput(iso) {
  const moment = new Date(iso);
  return new Date(moment.getTime() - moment.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
}

function toForm(card) {
  return {
    title: card.title, description: card.description, kind: card.kind, priority: card.priority,
    labels: card.labels.join(", "), assignee: card.assignee || "",
    due_at: card.due_at ? localInput(card.due_at) : "", time_spent_minutes: String(card.time_spent_minutes),
    estimate_minutes: card.estimate_minutes == null ? "" : String(card.estimate_minutes),
    automates: Array.isArray(card.automates) ? card.automates.join(", ") : "",
  };
}

function changes(card, form) {
  const base = toForm(card);
  const body = {};
  for (const key of FIELDS) {
    if (form[key] === base[key]) continue;
    const value = form[key];
    if (key === "labels" || key === "automates") body[key] = value.split(",").map((x) => x.trim()).filter(Boolean);
    else if (key === "time_spent_minutes") body[key] = Number(value || 0);
    else if (key === "estimate_minutes") body[key] = value === "" ? null : Number(value);
    else if (key === "assignee") body[key] = value || null;
    else if (key === "due_at") body[key] = value ? new Date(value).toISOString() : null;
    else body[key] = value;
  }
  return body;
}

function Timeline({ events }) {
  if (!events.length) return html`<p class="muted">No activity yet.</p>`;
  return html`<ol class="timeline">${events.map((e) => html`<li key=${e.id}>
    <time datetime=${e.created_at}>${when(e.created_at)}</time> <strong>${e.actor}</strong> <span class="chip">${e.type}</span>
    ${Object.keys(e.changes || {}).length ? html`<span class="muted"> ${Object.keys(e.changes).join(", ")}</span>` : null}
  </li>`)}</ol>`;
}

// "recurrence of: <the card before>" and, the other way, "recurrence of this card: <the next>".
function LinkedCards({ linked }) {
  if (!linked.length) return null;
  return html`<section aria-labelledby="links-h"><h2 id="links-h">Linked cards</h2><ul class="linked">
    ${linked.map((l) => html`<li key=${`${l.direction}-${l.kind}-${l.card_id}`}>${l.kind.replace(/_/g, " ")}${l.direction === "in" ? " this card" : ""}:
      <a href=${`/cards/${l.card_id}`}>${l.title} (#${l.card_id})</a> <span class=${`chip kind kind-${l.card_kind}`}>${l.card_kind}</span>${l.status !== "open" ? html` <small class="muted">${l.status}</small>` : null}</li>`)}
  </ul></section>`;
}

function AlertDetails({ card, alerts }) {
  const alert = card.alert;
  if (!alert) return null;
  return html`<section aria-labelledby="alert-h"><h2 id="alert-h">Alert</h2>
    <dl class="facts-list">
      <dt>Status</dt><dd>${alert.status}</dd><dt>Severity</dt><dd>${alert.severity || "—"}</dd>
      <dt>Occurrences</dt><dd>${alert.occurrences}</dd><dt>Flaps</dt><dd>${alert.flaps}</dd>
      <dt>First seen</dt><dd>${when(alert.first_seen_at)}</dd><dt>Last seen</dt><dd>${when(alert.last_seen_at)}</dd>
      <dt>Source</dt><dd>${alert.source}</dd><dt>Fingerprint</dt><dd><code>${alert.fingerprint}</code></dd>
    </dl>
    <h3>Links</h3>
    <ul>${(alert.links || []).map((l) => html`<li>${l.rel || l.title || "link"}: <${ExternalLink} href=${l.url} /></li>`)}</ul>
    <h3>Labels</h3>
    <ul class="chips">${Object.entries(alert.labels || {}).map(([k, v]) => html`<li class="chip label">${k}=${String(v)}</li>`)}</ul>
    <h3>Raw events</h3>
    ${alerts.map((a) => html`<details><summary>${a.status || "event"} · ${when(a.received_at || a.created_at)}</summary><pre>${JSON.stringify(a.payload ?? a, null, 2)}</pre></details>`)}
  </section>`;
}

export function CardPage({ cardId }) {
  const [card, setCard] = useState(null);
  const [form, setForm] = useState(null);
  const [events, setEvents] = useState([]);
  const [comments, setComments] = useState([]);
  const [alerts, setAlerts] = useState([]);
  const [linked, setLinked] = useState([]); // cards linked either way (GET /cards/{id}/links)
  const [board, setBoard] = useState(null); // the card's board and its columns
  const [changedBy, setChangedBy] = useState(null);
  const [preview, setPreview] = useState(false);
  const [missing, setMissing] = useState(false);
  const formRef = useRef(null);
  formRef.current = form;
  const cardRef = useRef(null);
  cardRef.current = card;

  async function loadSide(current) {
    const [ev, co, li] = await Promise.all([
      all(`/cards/${cardId}/events`), all(`/cards/${cardId}/comments`), get(`/cards/${cardId}/links`),
    ]);
    setEvents(ev);
    setComments(co);
    setLinked(li);
    if (current.alert) get(`/cards/${cardId}/alerts`).then((page) => setAlerts(page.items || [])).catch(() => {});
  }

  async function load() {
    const current = await get(`/cards/${cardId}`);
    setCard(current);
    setForm(toForm(current));
    setChangedBy(null);
    loadSide(current);
    return current;
  }

  // One read of the card at a time; events that come meanwhile make one more read after it.
  const reading = useRef({ busy: false, again: null });
  async function refresh(event) {
    if (reading.current.busy) { reading.current.again = event || reading.current.again || {}; return; }
    reading.current.busy = true;
    try {
      const fresh = await get(`/cards/${cardId}`);
      if (fresh.version !== cardRef.current?.version) {
        const dirty = Object.keys(changes(cardRef.current, formRef.current)).length > 0;
        if (dirty) {
          setChangedBy(event?.actor || "someone");
        } else {
          setCard(fresh);
          setForm(toForm(fresh));
        }
      }
      loadSide(fresh);
    } catch (error) {
      tell("error", error.status === 404 ? "This card has been deleted." : error.message);
    } finally {
      reading.current.busy = false;
      const again = reading.current.again;
      reading.current.again = null;
      if (again) refresh(again);
    }
  }

  useEffect(() => {
    let stream = null;
    load().then((current) => {
      get(`/boards/${current.board_id}?cards_per_column=0`).then(setBoard).catch(() => {});
      stream = new BoardStream(current.board_id, {
        // Frames carry the board's tile of a card; this page shows all of it, so it reads
        // its one card again when an event names it.
        onEvents: (events) => {
          const mine = events.filter((event) => event.card_id === cardId);
          if (mine.length) refresh(mine[mine.length - 1]);
        },
        onResync: () => refresh(null),
      });
    }).catch((error) => (error.status === 404 ? setMissing(true) : tell("error", error.message)));
    return () => stream?.close();
  }, [cardId]);

  useEffect(() => {
    if (card) document.title = `${card.title} · Firelane`;
  }, [card?.title]);

  if (missing) return html`<main class="page"><h1>No such card</h1><p>It was deleted, or never was. <a href="/">See the boards</a>.</p></main>`;
  if (!card || !form) return html`<main class="page"><p class="muted">Loading the card…</p></main>`;

  async function save(event) {
    event.preventDefault();
    const body = changes(card, form);
    if (!Object.keys(body).length) return;
    try {
      const written = await patch(`/cards/${cardId}`, { ...body, version: card.version });
      const { warnings, ...saved } = written;
      setCard(saved);
      setForm(toForm(saved));
      setChangedBy(null);
      announce("Saved.");
      if (warnings?.length) tell("warning", warnings.join(" "));
      loadSide(saved);
    } catch (error) {
      if (error.code === "version_conflict" && error.body.current) {
        // Their card becomes the base; the fields typed in stay as typed, the others
        // show their change (so saving again does not undo what they did).
        const current = error.body.current;
        const typed = Object.fromEntries(FIELDS.filter((key) => form[key] !== toForm(card)[key]).map((key) => [key, form[key]]));
        setCard(current);
        setForm({ ...toForm(current), ...typed });
        tell("error", "Someone else changed this card while you were editing. Your text is kept in the form; the card above now shows their version. Save again to apply yours on top.");
      } else {
        tell("error", error.message);
      }
    }
  }

  const set = (key) => (event) => setForm({ ...form, [key]: event.currentTarget.value });
  // A checklist change answers the card; it becomes the one shown.
  async function act(promise) {
    try { const next = await promise; if (next?.id) setCard(next); loadSide(next || card); }
    catch (error) { tell("error", error.message); if (error.code === "version_conflict") load(); }
  }
  async function comment(event) {
    event.preventDefault();
    const input = event.currentTarget.elements.namedItem("body");
    try {
      await post(`/cards/${cardId}/comments`, { body: input.value });
      input.value = "";
      announce("Comment added.");
      loadSide(card);
    } catch (error) { tell("error", error.message); }
  }
  const column = board?.columns.find((c) => c.id === card.column_id);
  const hasEstimate = "estimate_minutes" in card;
  const hasAutomates = "automates" in card && card.kind === "automation";
  return html`<main class="page card-page">
    <nav class="crumbs" aria-label="Where this card is">${board ? html`<a href=${`/boards/${board.slug}`}>← ${board.name}</a>` : html`<a href="/">← Boards</a>`}${column ? html` · ${column.name}` : null}</nav>
    <h1 class="card-heading">${card.title}</h1>
    <p class="muted"><span class=${`chip kind kind-${card.kind}`}>${card.kind}</span> · ${card.status} · version ${card.version}</p>
    ${changedBy ? html`<p class="notice notice-warning" role="status">${changedBy} changed this card while you were editing. Your edits are kept; saving will tell you if they clash.</p>` : null}
    <div class="card-grid">
      <form class="card-form" onSubmit=${save} aria-label="Edit card">
        <label for="f-title">Title</label>
        <input id="f-title" value=${form.title} onInput=${set("title")} required maxlength="300" />
        <label for="f-description">Description <small>(Markdown)</small></label>
        <div class="tabs"><button type="button" class="quiet" aria-pressed=${!preview} onClick=${() => setPreview(false)}>Write</button><button type="button" class="quiet" aria-pressed=${preview} onClick=${() => setPreview(true)}>Preview</button></div>
        ${preview ? html`<${Markdown} text=${form.description} />` : html`<textarea id="f-description" rows="8" value=${form.description} onInput=${set("description")} />`}
        <div class="field-row">
          <label>Kind <select value=${form.kind} onChange=${set("kind")}>${KINDS.map((k) => html`<option value=${k}>${k}</option>`)}</select></label>
          <label>Priority <select value=${form.priority} onChange=${set("priority")}>${PRIORITIES.map((p) => html`<option value=${p}>${p}</option>`)}</select></label>
          <label>Assignee <input value=${form.assignee} onInput=${set("assignee")} size="12" /></label>
        </div>
        <div class="field-row">
          <label>Labels <input value=${form.labels} onInput=${set("labels")} placeholder="disk, db" /></label>
          <label>Due <input type="datetime-local" value=${form.due_at} onInput=${set("due_at")} /></label>
          <label>Time spent (min) <input type="number" min="0" value=${form.time_spent_minutes} onInput=${set("time_spent_minutes")} /></label>
          ${hasEstimate ? html`<label>Estimate (min) <input type="number" min="0" value=${form.estimate_minutes} onInput=${set("estimate_minutes")} /></label>` : null}
        </div>
        ${hasAutomates ? html`<label>Automates <input value=${form.automates} onInput=${set("automates")} placeholder="alert:1:DiskFull, schedule:3" /></label>` : null}
        <div class="actions">
          <button type="submit" class="primary">Save</button>
          <button type="button" class="quiet" onClick=${() => setForm(toForm(card))}>Discard my edits</button>
          ${card.status !== "archived" ? html`<button type="button" class="quiet" onClick=${() => act(patch(`/cards/${cardId}`, { version: card.version, archived: true }))}>Archive</button>` : null}
        </div>
      </form>
      <aside>
        <section aria-labelledby="checklist-h"><h2 id="checklist-h">Checklist</h2>
          <ul class="checklist">${card.checklist.map((item) => html`<li key=${item.id}><label><input type="checkbox" checked=${item.done}
            onChange=${(e) => act(patch(`/cards/${cardId}/checklist/${item.id}`, { version: card.version, done: e.currentTarget.checked }))} /> ${item.text}</label>
            <button type="button" class="quiet" aria-label=${`Remove ${item.text}`} onClick=${() => act(del(`/cards/${cardId}/checklist/${item.id}?version=${card.version}`))}>×</button></li>`)}</ul>
          <form class="inline-form" onSubmit=${(e) => { e.preventDefault(); const input = e.currentTarget.elements.namedItem("item"); /* (elements.item is a method) */ act(post(`/cards/${cardId}/checklist`, { version: card.version, text: input.value })); input.value = ""; }}>
            <label>New item <input name="item" required maxlength="500" /></label><button type="submit">Add</button>
          </form>
        </section>
        <${LinkedCards} linked=${linked} />
        <${AlertDetails} card=${card} alerts=${alerts} />
      </aside>
    </div>
    <section aria-labelledby="comments-h"><h2 id="comments-h">Comments</h2>
      ${comments.map((c) => html`<article class="comment" key=${c.id}><header><strong>${c.author || "someone"}</strong> <time>${when(c.created_at)}</time></header><${Markdown} text=${c.body} /></article>`)}
      <form class="comment-form" onSubmit=${comment}>
        <label for="f-comment">Comment</label><textarea id="f-comment" name="body" rows="3" required />
        <button type="submit">Comment</button>
      </form>
    </section>
    <section aria-labelledby="activity-h"><h2 id="activity-h">Activity</h2><${Timeline} events=${events} /></section>
  </main>`;
}
