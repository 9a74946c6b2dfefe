// The live board: one EventSource per board page, watched by a heartbeat timer.
// When nothing (not even a heartbeat) arrives in time, it says "reconnecting…" and opens a
// new stream that resumes from the last event id; told to resync, it reloads the board.
// Card events are handed over in bursts (``onEvents``), so that an alert storm redraws the
// board a few times a second, not once per event; the board's layout (its columns) as it
// is when the stream opens and after every change (``onBoard``).
import { signal } from "@preact/signals";
import { API } from "./api.js";

const BURST_MS = 50;

export class BoardStream {
  constructor(boardId, { onEvents, onResync, onBoard = () => {} }) {
    this.boardId = boardId;
    this.onEvents = onEvents;
    this.onResync = onResync;
    this.onBoard = onBoard;
    this.queue = [];
    this.flushing = null;
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
      this.queue.push(JSON.parse(e.data));
      if (!this.flushing) this.flushing = setTimeout(() => this.flush(), BURST_MS);
    });
    source.addEventListener("board", (e) => {
      this.alive();
      this.flush(); // the cards that came before the change first
      this.onBoard(JSON.parse(e.data));
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

  flush() {
    clearTimeout(this.flushing);
    this.flushing = null;
    const events = this.queue;
    this.queue = [];
    if (events.length && !this.closed) this.onEvents(events);
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
    clearTimeout(this.flushing);
    this.source?.close();
  }
}
