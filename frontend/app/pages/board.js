// /boards/{slug}: the board. Columns load a page of cards each; moves are optimistic and
// sent as intent (after/before a neighbour, with the version); the stream keeps it live.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { html, KINDS } from "../html.js";
import { get, post, query } from "../api.js";
import { BoardStream } from "../live.js";
import { announce, tell } from "../state.js";
import { Column } from "../components/column.js";
import { Help } from "../components/help.js";
import * as S from "./board-state.js";

const EMPTY = { q: "", kind: "", label: "", assignee: "" };

function emptyText(index, filtering) {
  if (filtering) return "No cards match the filters.";
  if (index === 0) return "Nothing here. Press n to add a card, or point Alertmanager at an integration's ingest URL (Integrations).";
  return "No cards. Drag one here, or use a card's ⋯ menu.";
}

const boardFields = ({ columns, ...fields }) => fields;

export function BoardPage({ boardId }) {
  const [board, setBoard] = useState(null);
  const [state, setState] = useState(null);
  const [filters, setFilters] = useState(EMPTY);
  const [help, setHelp] = useState(false);
  const [, setTick] = useState(0);
  const ref = useRef(null);
  ref.current = state;
  const filterRef = useRef(filters);
  filterRef.current = filters;
  const search = useRef(null);
  const title = useRef(null);
  const stream = useRef(null);
  const layout = useRef(null); // the newest layout known (its version, and its columns)
  const update = (change) => setState((current) => (current ? change(current) : current));

  async function load() {
    const filtering = S.active(filterRef.current);
    const pages = filtering ? "cards_per_column=0" : `cards_per_column=${S.PAGE}&done_cards=${S.DONE_FEW}`;
    const detail = await get(`/boards/${boardId}?${pages}`);
    const { columns, ...rest } = detail;
    let next = S.fromDetail(detail, { recent: !filtering });
    if (filtering) {
      const pages = await Promise.all(next.order.map((id) => get(`/boards/${boardId}/cards${query({ ...pageQuery(), column_id: id, limit: S.PAGE })}`)));
      next.order.forEach((id, i) => { next = S.appendPage(next, id, pages[i]); });
    }
    // A layout the stream brought while this was read, if newer.
    const heard = layout.current;
    if (heard && heard.layout_version > rest.layout_version) {
      next = S.relayout(next, heard);
      Object.assign(rest, boardFields(heard));
    }
    layout.current = rest;
    setBoard(rest);
    setState(next);
  }

  function onBoard(data) {
    if (data === null) {
      tell("error", "This board has been deleted. See the boards.");
      stream.current?.close();
      return;
    }
    const known = layout.current;
    if (known && data.layout_version <= known.layout_version) return;
    layout.current = data;
    if (!known) return; // the board is still loading: load() applies it
    setBoard((current) => ({ ...current, ...boardFields(data) }));
    update((s) => S.relayout(s, data));
    announce(`The board's columns changed: ${data.columns.map((c) => c.name).join(", ")}.`);
  }

  function pageQuery() {
    const f = filterRef.current;
    return { q: f.q.trim(), kind: f.kind, label: f.label, assignee: f.assignee };
  }

  async function loadMore(columnId) {
    const column = ref.current?.byId[columnId];
    if (!column || !column.cursor || column.loading) return;
    update((s) => S.loading(s, columnId, true));
    try {
      const page = await get(`/boards/${boardId}/cards${query({ ...pageQuery(), column_id: columnId, limit: S.PAGE, cursor: column.cursor })}`);
      update((s) => S.appendPage(s, columnId, page));
    } catch (error) {
      update((s) => S.loading(s, columnId, false));
      tell("error", error.message);
    }
  }

  useEffect(() => {
    if (!boardId) return undefined;
    load().catch((error) => tell("error", error.message));
    stream.current = new BoardStream(boardId, {
      onEvents: (events) => update((s) => {
        const matches = S.matcher(filterRef.current);
        // An event without ``card`` follows one of the same burst that carried the tile.
        return events.reduce((next, event) => ("card" in event ? S.place(next, event.card, { matches, event }) : next), s);
      }),
      onResync: () => load().catch((error) => tell("error", error.message)),
      onBoard,
    });
    const clock = setInterval(() => setTick((t) => t + 1), 30000);
    return () => { stream.current.close(); clearInterval(clock); };
  }, [boardId]);

  useEffect(() => {
    if (board) document.title = `${board.name} · Firelane`;
  }, [board?.name]);

  useEffect(() => {
    if (!board) return undefined;
    const timer = setTimeout(() => load().catch((error) => tell("error", error.message)), 250);
    return () => clearTimeout(timer);
  }, [filters]);

  async function move(card, columnId, index) {
    const current = ref.current;
    const target = current.byId[columnId];
    const bottom = index === null || index === Infinity;
    const at = bottom ? target.cards.filter((c) => c.id !== card.id).length : index;
    const { body } = S.intent(current, card, columnId, at);
    if (bottom) {
      delete body.after_card_id;
      delete body.before_card_id;
      body.position = "bottom";
    }
    const original = S.find(current, card.id)?.card || card;
    update((s) => S.insertAt(s, card, columnId, at));
    announce(`Moving “${card.title}” to ${target.column.name}.`);
    try {
      const written = await post(`/cards/${card.id}/move`, body);
      const { warnings, ...moved } = written;
      update((s) => S.place(s, moved));
      announce(`Moved “${card.title}” to ${target.column.name}.`);
      if (warnings?.length) tell("warning", warnings.join(" "));
    } catch (error) {
      const now = error.body?.current;
      update((s) => S.place(S.remove(s, card.id), now || original));
      if (error.code === "version_conflict") {
        tell("error", `Someone else changed “${card.title}” just before your move, so it was not moved. It now shows their change; move it again if you still want to.`);
      } else {
        tell("error", `“${card.title}” was not moved: ${error.message}`);
      }
    }
  }

  function onDrop(cardId, columnId, index) {
    const found = S.find(ref.current, cardId);
    if (found) move(found.card, columnId, index);
  }

  function cardKeys(event, card) {
    if (event.target !== event.currentTarget || !event.shiftKey) return;
    const { order, byId } = ref.current;
    const col = order.indexOf(card.column_id);
    const index = byId[card.column_id].cards.findIndex((c) => c.id === card.id);
    const moves = {
      ArrowRight: [order[col + 1], null],
      ArrowLeft: [order[col - 1], null],
      ArrowUp: [card.column_id, Math.max(0, index - 1)],
      ArrowDown: [card.column_id, index + 1],
    };
    const [columnId, at] = moves[event.key] || [];
    if (columnId === undefined) return;
    event.preventDefault();
    move(card, columnId, at).then(() => {
      document.querySelector(`article[data-card-id="${card.id}"]`)?.focus();
    });
  }

  useEffect(() => {
    function keys(event) {
      const typing = /^(INPUT|TEXTAREA|SELECT)$/.test(event.target.tagName) || event.target.isContentEditable;
      if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
      const cards = [...document.querySelectorAll("article.card")];
      const at = cards.indexOf(document.activeElement);
      if (event.key === "n") { event.preventDefault(); title.current?.focus(); }
      else if (event.key === "/") { event.preventDefault(); search.current?.focus(); }
      else if (event.key === "j") { event.preventDefault(); cards[Math.min(cards.length - 1, at + 1)]?.focus(); }
      else if (event.key === "k") { event.preventDefault(); cards[Math.max(0, at - 1)]?.focus(); }
      else if (event.key === "e" && at >= 0) { event.preventDefault(); location.assign(`/cards/${cards[at].dataset.cardId}`); }
      else if (event.key === "?") { event.preventDefault(); setHelp(true); }
    }
    document.addEventListener("keydown", keys);
    return () => document.removeEventListener("keydown", keys);
  }, []);

  async function quickAdd(event) {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    try {
      const card = await post(`/boards/${boardId}/cards`, {
        title: data.get("title"), column_id: Number(data.get("column")), kind: data.get("kind"), position: "top",
      });
      const { warnings, ...created } = card;
      update((s) => S.place(s, created, { matches: S.matcher(filterRef.current), event: { type: "card.created" } }));
      form.elements.title.value = "";
      announce(`Added “${created.title}”.`);
      if (warnings?.length) tell("warning", warnings.join(" "));
    } catch (error) {
      tell("error", error.message);
    }
  }

  const columns = useMemo(() => (state ? state.order.map((id) => state.byId[id].column) : []), [state]);
  if (!boardId) return html`<main class="page"><h1>No such board</h1><p><a href="/">See the boards</a>.</p></main>`;
  const status = stream.current?.status.value;
  const filtering = S.active(filters);
  const set = (key) => (event) => setFilters({ ...filters, [key]: event.currentTarget.value });
  return html`<main class="board-page">
    <div class="board-bar">
      <h1>${board ? board.name : "Loading…"}</h1>
      <span class=${`live live-${status}`} role="status">${status === "live" ? "● live" : status === "reconnecting" ? "reconnecting…" : "connecting…"}</span>
      <form class="quick-add" aria-label="Add a card" onSubmit=${quickAdd}>
        <label class="sr-only" for="quick-title">Title</label>
        <input id="quick-title" name="title" ref=${title} placeholder="New card title (n)" required maxlength="300" />
        <label class="sr-only" for="quick-column">Column</label>
        <select id="quick-column" name="column">${columns.map((c) => html`<option value=${c.id}>${c.name}</option>`)}</select>
        <label class="sr-only" for="quick-kind">Kind</label>
        <select id="quick-kind" name="kind">${KINDS.map((k) => html`<option value=${k} selected=${k === "project"}>${k}</option>`)}</select>
        <button type="submit" class="primary">Add card</button>
      </form>
    </div>
    <form class="filters" role="search" aria-label="Filter cards" onSubmit=${(e) => e.preventDefault()}>
      <label>Search <input type="search" ref=${search} value=${filters.q} onInput=${set("q")} placeholder="title or text (/)" /></label>
      <label>Kind <select value=${filters.kind} onChange=${set("kind")}><option value="">any</option>${KINDS.map((k) => html`<option value=${k}>${k}</option>`)}</select></label>
      <label>Label <input value=${filters.label} onInput=${set("label")} size="10" /></label>
      <label>Assignee <input value=${filters.assignee} onInput=${set("assignee")} size="10" /></label>
      ${filtering ? html`<button type="button" class="quiet" onClick=${() => setFilters(EMPTY)}>Clear filters</button>` : null}
      <button type="button" class="quiet" onClick=${() => setHelp(true)} aria-label="Keyboard shortcuts">?</button>
    </form>
    <div class="columns">
      ${state ? state.order.map((id, index) => {
        const c = state.byId[id];
        return html`<${Column} key=${id} column=${c.column} cards=${c.cards} columns=${columns} loading=${c.loading} recent=${c.recent}
          more=${Boolean(c.cursor)} empty=${emptyText(index, filtering)} onLoadMore=${loadMore} onDrop=${onDrop} onMove=${move} onKey=${cardKeys} />`;
      }) : html`<p class="muted">Loading the board…</p>`}
    </div>
    ${help ? html`<${Help} onClose=${() => setHelp(false)} />` : null}
  </main>`;
}
