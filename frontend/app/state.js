// Shared state: what screen readers hear (an aria-live region) and the notice bar.
import { signal } from "@preact/signals";

export const announcement = signal("");
export const notice = signal(null); // {kind: "error" | "warning" | "info", text}

export function announce(text) {
  // Cleared first so that the same words said twice are heard twice.
  announcement.value = "";
  queueMicrotask(() => { announcement.value = text; });
}

export function tell(kind, text) {
  notice.value = { kind, text, at: Date.now() };
  announce(text);
}
