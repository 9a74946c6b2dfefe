// /: the boards, and for admins a form to make one.
import { useEffect, useState } from "preact/hooks";
import { html } from "../html.js";
import { all, me, post } from "../api.js";
import { tell } from "../state.js";

export function BoardsPage() {
  const [boards, setBoards] = useState(null);
  const load = () => all("/boards").then(setBoards).catch((e) => tell("error", e.message));
  useEffect(() => { load(); }, []);
  async function create(event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    try {
      const board = await post("/boards", { name: form.get("name"), slug: form.get("slug") });
      location.assign(`/boards/${board.slug}`);
    } catch (e) { tell("error", e.message); }
  }
  const admin = me.value?.user?.role === "admin";
  return html`<main class="page">
    <h1>Boards</h1>
    ${boards === null ? html`<p class="muted">Loading…</p>` : null}
    ${boards && !boards.length ? html`<p class="empty">No boards yet. ${admin ? "Make the first one below." : "Ask an admin to make one."}</p>` : null}
    <ul class="board-list">
      ${(boards || []).map((b) => html`<li key=${b.id}><a href=${`/boards/${b.slug}`}><strong>${b.name}</strong></a><p class="muted">${b.description}</p></li>`)}
    </ul>
    ${admin ? html`<form class="inline-form" onSubmit=${create} aria-label="New board">
      <label>Board name <input name="name" required maxlength="120" /></label>
      <label>Slug <input name="slug" required pattern="[a-z0-9][a-z0-9-]*" maxlength="64" /></label>
      <button class="primary" type="submit">Create board</button>
    </form>` : null}
  </main>`;
}
