// A rule made in a form: when an event about a card happens (on a board, to a kind of card),
// do one thing to the card. The API takes more (several actions, more conditions, web
// requests): those rules are made with POST /api/v1/rules and listed here all the same.
import { useEffect, useState } from "preact/hooks";
import { html, KINDS, PRIORITIES } from "../html.js";
import { all, post } from "../api.js";
import { tell } from "../state.js";
import { useBoards } from "./boardpicker.js";

const ACTIONS = [
  ["add_label", "Add the label", (value) => ({ label: value })],
  ["set_priority", "Set the priority to", (value) => ({ priority: value })],
  ["assign", "Assign to", (value) => ({ assignee: value })],
  ["comment", "Comment", (value) => ({ body: value })],
  ["create_linked_card", "Make a linked card titled", (value) => ({ title: value })],
];

export function RuleForm({ onMade }) {
  const boards = useBoards();
  const [events, setEvents] = useState([]);
  const [action, setAction] = useState(ACTIONS[0][0]);
  useEffect(() => {
    all("/event-types").then((items) => setEvents(items.filter((e) => e.about_a_card))).catch(() => {});
  }, []);
  async function make(event) {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const [type, , fields] = ACTIONS.find(([name]) => name === action);
    const conditions = {};
    if (data.get("board_id")) conditions.board_id = Number(data.get("board_id"));
    if (data.get("kind")) conditions.kind = [data.get("kind")];
    try {
      const made = await post("/rules", {
        name: data.get("name"), trigger: data.get("trigger"), conditions,
        actions: [{ type, ...fields(String(data.get("value"))) }],
      });
      tell("info", `Rule “${made.name}” made.`);
      form.reset();
      setAction(ACTIONS[0][0]);
      onMade();
    } catch (error) { tell("error", error.message); }
  }
  // Labels point at their fields (for/id) so that a field's name is its label's words only.
  const field = (id, words, control) => html`<span class="field"><label for=${id}>${words}</label>${control}</span>`;
  return html`<form class="inline-form" onSubmit=${make} aria-label="New rule">
    ${field("rule-name", "Name", html`<input id="rule-name" name="name" required maxlength="120" />`)}
    ${field("rule-trigger", "When", html`<select id="rule-trigger" name="trigger" required>${events.map((e) => html`<option value=${e.name}>${e.name}</option>`)}</select>`)}
    ${field("rule-board", "On board", html`<select id="rule-board" name="board_id"><option value="">any board</option>${boards.map((b) => html`<option value=${b.id}>${b.name}</option>`)}</select>`)}
    ${field("rule-kind", "Kind of card", html`<select id="rule-kind" name="kind"><option value="">any kind</option>${KINDS.map((k) => html`<option value=${k}>${k}</option>`)}</select>`)}
    ${field("rule-action", "Do", html`<select id="rule-action" name="action" value=${action} onChange=${(e) => setAction(e.currentTarget.value)}>
      ${ACTIONS.map(([name, words]) => html`<option value=${name}>${words}</option>`)}</select>`)}
    ${field("rule-value", "Value", action === "set_priority"
      ? html`<select id="rule-value" name="value">${PRIORITIES.map((p) => html`<option value=${p}>${p}</option>`)}</select>`
      : html`<input id="rule-value" name="value" required maxlength="300" />`)}
    <button type="submit" class="primary">Make rule</button>
  </form>`;
}
