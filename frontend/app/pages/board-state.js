// The board's cards as the page holds them: pure functions over {order, byId}, where
// byId[columnId] = {column, cards (in rank order), cursor (null: all loaded), loading,
// recent (a done column showing its DONE_FEW most recently done cards, newest first)}.
// Cards are held as *tiles*: what a card shows on the board. Live events bring tiles
// (app/boards/live/frames.py); cards read from the API are made into the same shape.

export const PAGE = 50;
// Done columns show their most recently done cards, newest first, this many (UI.md).
export const DONE_FEW = 10;

/** A card from the API as a tile: its checklist as counts (a live tile has no items). */
export function tile(card) {
  if (card.checklist_total !== undefined) return card;
  const { checklist = [], ...rest } = card;
  return { ...rest, checklist_done: checklist.filter((i) => i.done).length, checklist_total: checklist.length };
}

const byRank = (a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : a.id - b.id);
const doneAt = (card) => (card.done_at ? Date.parse(card.done_at) : 0);
const byRecent = (a, b) => doneAt(b) - doneAt(a) || b.id - a.id;

export function fromDetail(detail, { recent = false } = {}) {
  const byId = {};
  for (const column of detail.columns) {
    const { cards, next_cursor: cursor, ...rest } = column;
    byId[column.id] = { column: rest, cards: cards.map(tile), cursor, loading: false, recent: recent && rest.is_done };
  }
  return { order: detail.columns.map((c) => c.id), byId };
}

/** The columns of a board's new layout (a live ``board`` event): their names, order and
 * limits change, a new column arrives empty, a deleted one (always empty) goes. */
export function relayout(state, layout) {
  const byId = {};
  for (const column of layout.columns) {
    const current = state.byId[column.id];
    byId[column.id] = current
      ? { ...current, column: { ...current.column, ...column } }
      : { column: { ...column, card_count: 0 }, cards: [], cursor: null, loading: false, recent: false };
  }
  return { order: layout.columns.map((c) => c.id), byId };
}

export function find(state, cardId) {
  for (const id of state.order) {
    const index = state.byId[id].cards.findIndex((c) => c.id === cardId);
    if (index >= 0) return { columnId: id, index, card: state.byId[id].cards[index] };
  }
  return null;
}

function withColumn(state, columnId, change) {
  const current = state.byId[columnId];
  if (!current) return state;
  return { ...state, byId: { ...state.byId, [columnId]: { ...current, ...change(current) } } };
}

function count(state, columnId, delta) {
  return withColumn(state, columnId, (c) => ({
    column: { ...c.column, card_count: Math.max(0, c.column.card_count + delta) },
  }));
}

export function remove(state, cardId) {
  const found = find(state, cardId);
  if (!found) return state;
  return withColumn(state, found.columnId, (c) => ({ cards: c.cards.filter((x) => x.id !== cardId) }));
}

/** Put a card at ``index`` of a column (the optimistic half of a move). */
export function insertAt(state, card, columnId, index) {
  const found = find(state, card.id);
  let next = remove(state, card.id);
  if (found && found.columnId !== columnId) next = count(count(next, found.columnId, -1), columnId, 1);
  return withColumn(next, columnId, (c) => {
    const cards = c.cards.slice();
    // Into a done column that shows its latest: the card was just done, so it goes first.
    cards.splice(c.recent ? 0 : Math.min(index, cards.length), 0, { ...card, column_id: columnId });
    return { cards };
  });
}

/** Show a card where the server says it is (live events, answers, conflicts).
 * ``event`` (a card event, when there is one) keeps the column counts right for cards
 * the page has not loaded. */
export function place(state, update, { matches = () => true, event = null } = {}) {
  const found = update ? find(state, update.id) : event && find(state, event.card_id);
  // A tile read before a write whose answer is shown already: the newer stays.
  if (found && update && update.version < found.card.version) return state;
  // What a live tile leaves out (the description, for the text filter) stays as it was.
  const card = update && found ? { ...found.card, ...tile(update) } : update && tile(update);
  let next = found ? remove(state, found.card.id) : state;
  const was = found ? found.columnId : event?.from_column_id ?? null;
  const gone = !card || card.status === "archived" || !next.byId[card.column_id];
  if (gone) {
    const column = was ?? (event?.type === "card.archived" ? card?.column_id : null);
    return column ? count(next, column, -1) : next;
  }
  if (was && was !== card.column_id) next = count(count(next, was, -1), card.column_id, 1);
  else if (!found && event?.type === "card.created") next = count(next, card.column_id, 1);
  if (!matches(card)) return next;
  return withColumn(next, card.column_id, (c) => {
    if (c.recent) return { cards: [...c.cards, card].sort(byRecent).slice(0, DONE_FEW) };
    const last = c.cards[c.cards.length - 1];
    // Past the loaded page: it arrives with its page.
    if (c.cursor && last && byRank(card, last) > 0) return {};
    return { cards: [...c.cards, card].sort(byRank) };
  });
}

export function appendPage(state, columnId, page) {
  return withColumn(state, columnId, (c) => {
    const seen = new Set(c.cards.map((x) => x.id));
    const fresh = page.items.filter((x) => !seen.has(x.id)).map(tile);
    return { cards: [...c.cards, ...fresh], cursor: page.next_cursor, loading: false };
  });
}

export function loading(state, columnId, value) {
  return withColumn(state, columnId, () => ({ loading: value }));
}

/** The move the server is asked for: a neighbour in the target column, and the version. */
export function intent(state, card, columnId, index) {
  const others = state.byId[columnId].cards.filter((c) => c.id !== card.id);
  const at = Math.min(index, others.length);
  const body = { version: card.version, column_id: columnId };
  if (at > 0) body.after_card_id = others[at - 1].id;
  else if (others.length) body.before_card_id = others[0].id;
  else body.position = "top";
  return { body, at };
}

export function matcher(filters) {
  const q = filters.q.trim().toLowerCase();
  return (card) => (!filters.kind || card.kind === filters.kind)
    && (!filters.label || card.labels.includes(filters.label))
    && (!filters.assignee || card.assignee === filters.assignee)
    && (!q || card.title.toLowerCase().includes(q) || (card.description || "").toLowerCase().includes(q));
}

export const active = (filters) => Boolean(filters.q.trim() || filters.kind || filters.label || filters.assignee);
