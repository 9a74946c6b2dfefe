// Board and column selects for the forms of the admin pages.
import { useEffect, useState } from "preact/hooks";
import { html } from "../html.js";
import { all } from "../api.js";

export function useBoards() {
  const [boards, setBoards] = useState([]);
  useEffect(() => { all("/boards").then(setBoards).catch(() => {}); }, []);
  return boards;
}

export function BoardColumnFields({ boards, optionalColumn = true }) {
  const [boardId, setBoardId] = useState("");
  const [columns, setColumns] = useState([]);
  const chosen = boardId || (boards[0] ? String(boards[0].id) : "");
  useEffect(() => {
    if (chosen) all(`/boards/${chosen}/columns`).then(setColumns).catch(() => setColumns([]));
  }, [chosen]);
  return html`
    <label>Board <select name="board_id" value=${chosen} onChange=${(e) => setBoardId(e.currentTarget.value)}>
      ${boards.map((b) => html`<option value=${b.id}>${b.name}</option>`)}</select></label>
    <label>Column <select name="column_id">
      ${optionalColumn ? html`<option value="">first column</option>` : null}
      ${columns.map((c) => html`<option value=${c.id}>${c.name}</option>`)}</select></label>`;
}

export const numberOrNull = (value) => (value === "" || value === null ? null : Number(value));
