// /schedules: recurring chores, with the next runs previewed before saving.
import { useEffect, useState } from "preact/hooks";
import { html, when } from "../html.js";
import { all, me, patch, post } from "../api.js";
import { tell } from "../state.js";
import { BoardColumnFields, numberOrNull, useBoards } from "../components/boardpicker.js";

function draft(form) {
  const data = new FormData(form);
  return {
    name: data.get("name"), board_id: Number(data.get("board_id")), column_id: numberOrNull(data.get("column_id")),
    cron: data.get("cron") || null, interval_minutes: numberOrNull(data.get("interval_minutes")),
    timezone: data.get("timezone") || null, title: data.get("title"),
    lead_minutes: Number(data.get("lead_minutes") || 0),
  };
}

export function SchedulesPage() {
  const boards = useBoards();
  const [items, setItems] = useState(null);
  const [runs, setRuns] = useState(null);
  const [editing, setEditing] = useState(null);
  const load = () => all("/schedules").then(setItems).catch((e) => tell("error", e.message));
  useEffect(() => { load(); }, []);
  const member = ["admin", "member"].includes(me.value?.user?.role);
  const admin = me.value?.user?.role === "admin";

  async function preview(event) {
    const form = event.currentTarget.form;
    // An edit is previewed as the schedule it would become (its board stays its own).
    const body = draft(form);
    if (editing) {
      Object.assign(body, { board_id: editing.board_id, column_id: editing.column_id });
      if (body.cron) body.interval_minutes = null; // as saving does: a cron wins
    }
    try { setRuns((await post("/schedules/preview?count=5", body)).runs); }
    catch (e) { setRuns(null); tell("error", e.message); }
  }
  async function save(event) {
    event.preventDefault();
    const form = event.currentTarget; // (gone from the event once it has been handled)
    try {
      const body = draft(form);
      if (editing) {
        const { name, cron, interval_minutes, timezone, title, lead_minutes } = body;
        // One timing is sent: setting one clears the other (a cron wins if both are filled).
        const timing = cron || interval_minutes === null ? { cron } : { interval_minutes };
        await patch(`/schedules/${editing.id}`, { name, ...timing, title, lead_minutes, ...(timezone ? { timezone } : {}) });
      } else await post("/schedules", body);
      tell("info", editing ? "Schedule saved." : "Schedule created.");
      setEditing(null);
      setRuns(null);
      form.reset();
      load();
    } catch (e) { tell("error", e.message); }
  }
  async function act(schedule, action) {
    try { await post(`/schedules/${schedule.id}/${action}`); load(); tell("info", `${schedule.name}: ${action} done.`); }
    catch (e) { tell("error", e.message); }
  }
  return html`<main class="page">
    <h1>Schedules</h1>
    ${items && !items.length ? html`<p class="empty">No recurring chores yet. ${admin ? "Define one below: it puts a maintenance card on the board on time." : ""}</p>` : null}
    ${items?.length ? html`<table><thead><tr><th>Name</th><th>When</th><th>Timezone</th><th>Next run</th><th>State</th><th></th></tr></thead>
      <tbody>${items.map((s) => html`<tr key=${s.id}><td>${s.name}</td><td><code>${s.cron || `every ${s.interval_minutes} min`}</code></td><td>${s.timezone}</td>
        <td>${when(s.next_run_at)}</td><td>${s.enabled ? "active" : "paused"}</td>
        <td class="row-actions">${member ? html`<button type="button" class="quiet" onClick=${() => act(s, "run")}>Run now</button>
          <button type="button" class="quiet" onClick=${() => act(s, s.enabled ? "pause" : "resume")}>${s.enabled ? "Pause" : "Resume"}</button>` : null}
          ${admin ? html`<button type="button" class="quiet" aria-label=${`Edit ${s.name}`} onClick=${() => { setEditing(s); setRuns(null); }}>Edit</button>` : null}</td></tr>`)}</tbody></table>` : null}
    ${admin ? html`<h2>${editing ? `Edit “${editing.name}”` : "New schedule"}</h2>
    <form class="stack-form" key=${editing?.id || "new"} onSubmit=${save} aria-label=${editing ? "Edit schedule" : "New schedule"}>
      <label>Name <input name="name" required defaultValue=${editing?.name || ""} /></label>
      ${editing ? null : html`<${BoardColumnFields} boards=${boards} />`}
      <label>Cron <input name="cron" placeholder="0 10 * * tue#2" defaultValue=${editing?.cron || ""} /></label>
      <label>Or every (minutes) <input name="interval_minutes" type="number" min="5" placeholder="240" defaultValue=${editing?.interval_minutes ?? ""} /></label>
      <label>Timezone <input name="timezone" placeholder="Europe/Berlin" defaultValue=${editing?.timezone || ""} /></label>
      <label>Card title <input name="title" required placeholder="Patch hosts {date}" defaultValue=${editing?.title || ""} /></label>
      <label>Lead (minutes before) <input name="lead_minutes" type="number" min="0" defaultValue=${editing?.lead_minutes ?? 0} /></label>
      <div class="actions"><button type="button" onClick=${preview}>Preview next runs</button><button type="submit" class="primary">${editing ? "Save" : "Create schedule"}</button>
      ${editing ? html`<button type="button" class="quiet" onClick=${() => { setEditing(null); setRuns(null); }}>Cancel</button>` : null}</div>
    </form>
    ${runs ? html`<h3>Next runs</h3><ol>${runs.map((r) => html`<li>${r.local_time} — ${r.title}</li>`)}</ol>` : null}` : null}
  </main>`;
}
