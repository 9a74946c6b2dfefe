// The keyboard shortcuts, in a modal dialog.
import { useEffect, useRef } from "preact/hooks";
import { html } from "../html.js";

const KEYS = [
  ["n", "new card"], ["/", "search"], ["j / k", "next / previous card"], ["e", "open the focused card"],
  ["Shift + ← / →", "move the focused card to the previous / next column"],
  ["Shift + ↑ / ↓", "move the focused card up / down"], ["?", "this help"],
];

export function Help({ onClose }) {
  const dialog = useRef(null);
  useEffect(() => {
    dialog.current.showModal();
  }, []);
  return html`<dialog ref=${dialog} aria-labelledby="help-title" onClose=${onClose}>
    <h2 id="help-title">Keyboard shortcuts</h2>
    <dl class="keys">${KEYS.map(([key, what]) => html`<dt><kbd>${key}</kbd></dt><dd>${what}</dd>`)}</dl>
    <form method="dialog"><button class="primary">Close</button></form>
  </dialog>`;
}
