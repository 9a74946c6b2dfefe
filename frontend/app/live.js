// The live board: one EventSource per board page, watched by a heartbeat timer.
// When nothing (not even a heartbeat) arrives in time, it says "reconnecting…" and opens a
// new stream that resumes from the last event id; told to resync, it reloads the board.
import { signal } from "@preact/signals";
import { API } from "./api.js";

export class BoardStream {
  constructor(boardId, { onEvent, onResync }) {
    this.boardId = boardId;
    this.onEvent = onEvent;
    this.onResync = onResync;
    this.status = signal("connecting"); // connecting | live | reconnecting
    this.lastId = null;
    this.heartbeat = 15;
    this.source = null;
    this.timer = null;
    this.closed = false;
    this.open();
  }

  open() {
    const resume = this.lastId ? `?resume=${encodeURIComponent(this.lastId)}` : "";
    const source = new EventSource(`${API}/boards/${this.boardId}/stream${resume}`);
    this.source = source;
    source.addEventListener("ready", (e) => {
      const data = JSON.parse(e.data);
      this.heartbeat = data.heartbeat_seconds || 15;
      if (e.lastEventId) this.lastId = e.lastEventId;
      this.alive();
    });
    source.addEventListener("card", (e) => {
      this.lastId = e.lastEventId || this.lastId;
      this.alive();
      this.onEvent(JSON.parse(e.data));
    });
    source.addEventListener("resync", () => {
      this.lastId = null;
      this.restart();
      this.onResync();
    });
    source.addEventListener("heartbeat", () => this.alive());
    source.onerror = () => {
      if (this.closed) return;
      this.status.value = "reconnecting";
      if (source.readyState === EventSource.CLOSED) this.later();
    };
    this.watch();
  }

  alive() {
    this.status.value = "live";
    this.watch();
  }

  watch() {
    clearTimeout(this.timer);
    // Two missed heartbeats: the stream is dead even if the socket looks open (a proxy).
    this.timer = setTimeout(() => {
      this.status.value = "reconnecting";
      this.restart();
    }, (this.heartbeat * 2 + 5) * 1000);
  }

  later() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.restart(), 2000);
  }

  restart() {
    if (this.closed) return;
    this.source?.close();
    this.open();
  }

  close() {
    this.closed = true;
    clearTimeout(this.timer);
    this.source?.close();
  }
}
