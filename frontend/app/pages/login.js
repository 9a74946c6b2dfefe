// /login: name, password, "Log in"; then back to where the person was going.
import { useState } from "preact/hooks";
import { html } from "../html.js";
import { request, ApiError } from "../api.js";

function nextPath() {
  const next = new URLSearchParams(location.search).get("next") || "/";
  // Only a path of this site: never an address elsewhere (browsers read "/\\host" and
  // "//host" as another host, so the URL is resolved and its origin compared).
  if (!next.startsWith("/")) return "/";
  try {
    const url = new URL(next, location.origin);
    return url.origin === location.origin ? url.pathname + url.search + url.hash : "/";
  } catch {
    return "/";
  }
}

export function LoginPage() {
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  async function submit(event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError("");
    try {
      // A refused login is a 401 too: its words are shown here, not a trip to /login.
      const body = { name: form.get("name"), password: form.get("password") };
      await request("POST", "/auth/login", body, { allow401: true });
      location.assign(nextPath());
    } catch (err) {
      setError(err instanceof ApiError ? err.message : "The server cannot be reached.");
      setBusy(false);
    }
  }
  return html`<main class="login">
    <form class="card-panel" onSubmit=${submit}>
      <h1><img src="/static/favicon.svg" alt="" width="28" height="28" /> Firelane</h1>
      <label for="login-name">Name</label>
      <input id="login-name" name="name" autocomplete="username" required autofocus />
      <label for="login-password">Password</label>
      <input id="login-password" name="password" type="password" autocomplete="current-password" required />
      ${error ? html`<p class="error" role="alert">${error}</p>` : null}
      <button type="submit" class="primary" disabled=${busy}>Log in</button>
    </form>
  </main>`;
}
