// /reports: the weekly automation-debt report (GET /api/v1/reports/weekly): headline
// figures, what to automate first, and what automation retired; below it the stored
// reports (GET /api/v1/reports), newest week first, each shown here or as its HTML page.
import { useEffect, useState } from "preact/hooks";
import { html, KINDS, when } from "../html.js";
import { API, get, query } from "../api.js";
import { useBoards } from "../components/boardpicker.js";

const fmt = (value, digits = 1) => (value === null || value === undefined ? "—" : Number(value).toLocaleString(undefined, { maximumFractionDigits: digits }));
const pct = (value) => (value === null || value === undefined ? "—" : `${Math.round(value * 100)} %`);
const secs = (value) => (value === null || value === undefined ? "—" : value < 120 ? `${value} s` : value < 7200 ? `${Math.round(value / 60)} min` : `${fmt(value / 3600)} h`);

function Figure({ label, value, hint }) {
  return html`<div class="figure"><span class="figure-value">${value}</span><span class="figure-label">${label}</span>${hint ? html`<small class="muted">${hint}</small>` : null}</div>`;
}

// Toil is fire and maintenance work (docs/report.md); the share is drawn by a <meter>, not
// by a style attribute (the page's policy allows none).
function HoursByKind({ hours }) {
  const total = hours.total || 0;
  return html`<table aria-labelledby="hours-h" class="by-kind"><thead><tr><th>Kind</th><th>Hours</th><th>Share</th></tr></thead><tbody>
    ${KINDS.map((kind) => {
      const value = hours.by_kind[kind] || 0;
      const share = total ? value / total : 0;
      return html`<tr key=${kind}><td><span class=${`chip kind kind-${kind}`}>${kind}</span>${kind === "fire" || kind === "maintenance" ? html` <small class="muted">toil</small>` : null}</td>
        <td>${fmt(value, 2)}</td><td><meter min="0" max="1" value=${share} aria-label=${`${kind}: ${pct(total ? share : null)} of the hours`}></meter> ${pct(total ? share : null)}</td></tr>`;
    })}</tbody></table>`;
}

function Report({ report }) {
  const f = report.fires;
  return html`<div>
    <p class="muted">Week ${report.week} (${report.timezone}), ${report.board ? `board ${report.board}` : "all boards"}.</p>
    <div class="figures">
      <${Figure} label="interruptions" value=${f.interruptions} hint=${`${f.by_bucket.business} business · ${f.by_bucket.off_hours} off hours · ${f.by_bucket.sleep} sleep`} />
      <${Figure} label="MTTA p50 / p90" value=${`${secs(f.mtta_seconds.p50)} / ${secs(f.mtta_seconds.p90)}`} hint=${`n = ${f.mtta_seconds.n}`} />
      <${Figure} label="MTTR p50 / p90" value=${`${secs(f.mttr_seconds.p50)} / ${secs(f.mttr_seconds.p90)}`} hint=${`n = ${f.mttr_seconds.n}`} />
      <${Figure} label="hours of work" value=${fmt(report.hours.total, 2)} hint=${report.hours.basis ? `basis: ${report.hours.basis}` : "no time recorded"} />
      <${Figure} label="unplanned" value=${pct(report.unplanned_ratio)} />
      <${Figure} label="toil" value=${pct(report.toil_ratio)} />
      <${Figure} label="automation debt" value=${`${fmt(report.automation_debt.hours_per_year, 0)} h/yr`} hint=${`${fmt(report.automation_debt.fte, 3)} full-time people`} />
    </div>
    <h2 id="hours-h">Hours by kind</h2>
    <${HoursByKind} hours=${report.hours} />
    <h2>What to automate first</h2>
    ${report.candidates.length ? html`<table><thead><tr><th>Candidate</th><th>Kind</th><th>Seen (90 d)</th><th>Interruptions / yr</th><th>Hours / yr</th><th>Break-even h</th><th>Payback</th><th>Worth it</th></tr></thead><tbody>
      ${report.candidates.map((c) => html`<tr key=${c.key}><td>${c.name} <small class="muted">${c.key}</small></td><td>${c.kind}</td><td>${c.occurrences_90d}</td><td>${fmt(c.interruptions_per_year)}</td>
        <td>${fmt(c.hours_per_year, 2)}</td><td>${fmt(c.break_even_hours, 2)}</td>
        <td>${c.payback_weeks === null ? "—" : `${fmt(c.payback_weeks)} weeks`}${c.automation_card_id ? html` · <a href=${`/cards/${c.automation_card_id}`}>card</a>` : null}</td>
        <td>${c.worth_automating === null ? "—" : c.worth_automating ? "yes" : "no"}</td></tr>`)}</tbody></table>`
      : html`<p class="empty">No candidate yet: an alert or chore needs 3 occurrences in 90 days.</p>`}
    <h2>Automation ledger</h2>
    ${report.ledger.length ? html`<table><thead><tr><th>Automation card</th><th>Candidate</th><th>Rate before / after (per week)</th><th>Hours / yr retired</th><th>Status</th></tr></thead><tbody>
      ${report.ledger.map((l) => html`<tr key=${`${l.card_id}-${l.candidate}`}><td><a href=${`/cards/${l.card_id}`}>#${l.card_id}</a></td><td>${l.candidate}</td>
        <td>${fmt(l.rate_before_per_week)} → ${fmt(l.rate_after_per_week)}</td><td>${fmt(l.retired_hours_per_year, 2)}</td><td>${l.status.replace(/_/g, " ")}</td></tr>`)}</tbody></table>`
      : html`<p class="empty">No automation finished in the last 90 days.</p>`}
  </div>`;
}

// The stored reports of the chosen board (or of every board and all boards), a page at a
// time; "Show" puts a stored week on the page above (the weekly report answers the stored one).
function History({ board, shown, onShow }) {
  const [state, setState] = useState({ items: null, cursor: null });
  const read = (cursor, before) => get(`/reports${query({ board, limit: 20, cursor })}`)
    .then((page) => setState({ items: [...before, ...page.items], cursor: page.next_cursor }))
    .catch((error) => setState({ items: before, cursor: null, error }));
  useEffect(() => { setState({ items: null, cursor: null }); read(null, []); }, [board]);
  const { items, cursor, error } = state;
  return html`<section aria-labelledby="history-h">
    <h2 id="history-h">History</h2>
    ${error ? html`<p class="error" role="alert">${error.message}</p>` : null}
    ${items === null ? html`<p class="muted">Loading the stored reports…</p>` : null}
    ${items && !items.length ? html`<p class="empty">No stored reports yet. The weekly job stores each board's report and the all-boards one every week; an admin can store one now with <code>firelane report</code> or POST /api/v1/reports/weekly.</p>` : null}
    ${items?.length ? html`<table aria-labelledby="history-h"><thead><tr><th>Week</th><th>Board</th><th>Interruptions</th><th>Toil</th><th>Automation debt</th><th>Top candidate</th><th>Made</th><th></th></tr></thead><tbody>
      ${items.map((r) => {
        const current = shown && shown.week === r.week && (shown.board || null) === r.board;
        return html`<tr key=${r.id} aria-current=${current ? "true" : undefined}><th scope="row">${r.week}</th><td>${r.board || "all boards"}</td>
          <td>${r.headline.interruptions}</td><td>${pct(r.headline.toil_ratio)}</td><td>${fmt(r.headline.automation_debt_hours_per_year, 0)} h/yr</td>
          <td>${r.headline.top_candidate || "—"}</td><td><time datetime=${r.made_at}>${when(r.made_at)}</time> <small class="muted">by ${r.made_by}</small></td>
          <td class="row-actions"><button type="button" class="quiet" aria-label=${`Show ${r.week}, ${r.board || "all boards"}`} onClick=${() => onShow(r)}>Show</button>
            <a href=${`${API}/reports/${r.id}?format=html`} aria-label=${`${r.week}, ${r.board || "all boards"} as a page`}>Page</a></td></tr>`;
      })}</tbody></table>` : null}
    ${cursor ? html`<button type="button" class="quiet" onClick=${() => read(cursor, items)}>Older reports</button>` : null}
  </section>`;
}

export function ReportsPage() {
  const boards = useBoards();
  const [week, setWeek] = useState("");
  const [board, setBoard] = useState("");
  const [state, setState] = useState({ loading: true });
  useEffect(() => {
    let current = true; // only the answer to the latest choice is shown
    setState((shown) => ({ report: shown.report, loading: true }));
    get(`/reports/weekly${query({ week, board })}`)
      .then((report) => current && setState({ report }))
      .catch((error) => current && setState({ error }));
    return () => { current = false; };
  }, [week, board]);
  return html`<main class="page">
    <h1>Weekly report</h1>
    <form class="inline-form" aria-label="Choose the report" onSubmit=${(e) => e.preventDefault()}>
      <label>Week <input type="week" value=${week || state.report?.week || ""} onChange=${(e) => setWeek(e.currentTarget.value)} /></label>
      <label>Board <select value=${board} onChange=${(e) => setBoard(e.currentTarget.value)}><option value="">all boards</option>
        ${boards.map((b) => html`<option value=${b.slug}>${b.name}</option>`)}</select></label>
    </form>
    ${state.loading ? html`<p class="muted">Computing the report…</p>` : null}
    ${state.error ? html`<p class="error" role="alert">${state.error.message}</p>` : null}
    ${state.report ? html`<${Report} report=${state.report} />` : null}
    <${History} board=${board} shown=${state.report} onShow=${(r) => { setBoard(r.board || ""); setWeek(r.week); }} />
  </main>`;
}
