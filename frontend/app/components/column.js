// A column: a <section> named after it, its count against the WIP limit, its cards in
// pages (the next page loads when the end of the list scrolls into view), a drop target.
// A done column shows its most recently done cards, newest first, and how many it hides.
import { useEffect, useRef } from "preact/hooks";
import Sortable from "sortablejs";
import { html } from "../html.js";
import { CardTile } from "./card.js";

function Wip({ column }) {
  const { card_count: count, wip_limit: limit, wip_mode: mode } = column;
  if (!limit) return html`<span class="count" aria-label=${`${count} card${count === 1 ? "" : "s"}`}>${count}</span>`;
  const over = count > limit;
  const full = count >= limit && mode === "hard";
  const state = over ? "over" : full ? "full" : "";
  const words = `${count} of ${limit}${mode === "hard" ? " (hard limit)" : ""}${over ? ", over the limit" : ""}`;
  return html`<span class=${`count wip ${state}`} title=${words} aria-label=${words}>${count}/${limit}</span>`;
}

function olderText(count) {
  return `${count} older done card${count === 1 ? "" : "s"} not shown: search or filter to find ${count === 1 ? "it" : "them"}.`;
}

export function Column({ column, cards, columns, loading, more, recent, empty, onLoadMore, onDrop, onMove, onKey }) {
  const list = useRef(null);
  const sentinel = useRef(null);
  const sortableRef = useRef(null);
  const drop = useRef(onDrop);
  drop.current = onDrop;
  useEffect(() => {
    const sortable = Sortable.create(list.current, {
      group: "cards",
      animation: 120,
      draggable: "article.card",
      filter: "button, .menu",
      preventOnFilter: false,
      forceFallback: true, // pointer events, the same in every browser (and in tests)
      ghostClass: "ghost",
      sort: !column.is_done, // a done column is in the order cards were done
      onEnd: (event) => {
        const { item, from, to, oldIndex, newIndex } = event;
        if (from === to && oldIndex === newIndex) return;
        // Put the DOM back as it was: the state moves the card and Preact redraws it.
        to.removeChild(item);
        from.insertBefore(item, from.children[oldIndex] || null);
        drop.current(Number(item.dataset.cardId), Number(to.dataset.columnId), newIndex);
      },
    });
    sortableRef.current = sortable;
    return () => sortable.destroy();
  }, []);
  useEffect(() => { sortableRef.current?.option("sort", !column.is_done); }, [column.is_done]);
  useEffect(() => {
    if (!more || !sentinel.current) return undefined;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) onLoadMore(column.id);
    }, { root: list.current.parentElement, rootMargin: "400px" });
    observer.observe(sentinel.current);
    return () => observer.disconnect();
  }, [more, cards.length]);
  const headingId = `column-${column.id}`;
  return html`<section class=${`column${column.is_done ? " done-column" : ""}`} aria-labelledby=${headingId}>
    <header class="column-head">
      <h2 id=${headingId}>${column.name}</h2>
      <${Wip} column=${column} />
    </header>
    <div class="column-body">
      <div class="cards" ref=${list} data-column-id=${column.id}>
        ${cards.map((card) => html`<${CardTile} key=${card.id} card=${card} columns=${columns} onMove=${onMove} onKey=${onKey} />`)}
      </div>
      ${!cards.length && !loading ? html`<p class="empty">${empty}</p>` : null}
      ${recent && column.card_count > cards.length ? html`<p class="older muted">${olderText(column.card_count - cards.length)}</p>` : null}
      ${more ? html`<div class="more" ref=${sentinel}><button type="button" class="quiet" onClick=${() => onLoadMore(column.id)}>${loading ? "Loading…" : "Show more"}</button></div>` : null}
    </div>
  </section>`;
}
