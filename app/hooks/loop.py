"""The delivery loop: claim due deliveries, send them signed with httpx, record the outcome.

It runs in a thread inside ``firelane serve`` (with the scheduler on) and ``firelane
worker``. ``run_once(now=...)`` does one claim-send-record round with an injectable time,
which is how tests drive retries without sleeping.

``stop(grace)`` claims nothing more, lets the sends in flight finish for ``grace`` seconds,
and releases the claims of what was not sent by then (no attempt is recorded; the next
loop sends it at once instead of after the lease). A receiver may then get a delivery it
already had: ``X-Firelane-Delivery`` stays the same, for it to drop the second.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from datetime import datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache
from http.cookiejar import CookieJar
from uuid import uuid4

import httpx

import app as package
from app.core import clock
from app.core.config import Settings
from app.core.db import Database
from app.core.health import Ticks
from app.hooks import delivery, fanout, wakeup
from app.hooks.config import HooksSettings, get_hooks_settings
from app.hooks.delivery import Claimed, Result
from app.hooks.signing import outgoing_headers
from app.hooks.targets import ForbiddenTarget, guarded_transport

logger = logging.getLogger("firelane.hooks")

EXCERPT_BYTES = 1024
USER_AGENT = f"Firelane-Hooks/{package.__version__}"


def _retry_after(value: str | None, now: datetime) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - now).total_seconds()) if when.tzinfo else None


def _read_excerpt(response: httpx.Response) -> str:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= EXCERPT_BYTES:
            break
    text = b"".join(chunks)[:EXCERPT_BYTES].decode("utf-8", errors="replace")
    # PostgreSQL's text holds no NUL: an answer with some would fail the attempt's log.
    return text.replace("\x00", "")


@lru_cache(maxsize=1024)
def _url(text: str) -> httpx.URL:
    """A webhook's URL, parsed once (its deliveries are sent to it again and again)."""
    return httpx.URL(text)


class _NoCookies(CookieJar):
    """Keeps no cookie: a receiver's cookies are never sent back, to it or to another
    receiver sharing the client (and are not even parsed)."""

    def extract_cookies(self, *_: object) -> None:
        return None

    def set_cookie(self, *_: object) -> None:
        return None


class _SendPool:
    """Threads that send one delivery each at a time. They are daemon threads: a process
    that stops does not wait for a receiver that takes its time (its claim is released)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Result], Future[Result]] | None]
        self._jobs = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []  # started by the first submit

    def submit(self, job: Callable[[], Result]) -> Future[Result]:
        if not self._threads:
            self._threads = [
                threading.Thread(target=self._work, name=f"hooks-send-{n}", daemon=True)
                for n in range(self.size)
            ]
            for thread in self._threads:
                thread.start()
        future: Future[Result] = Future()
        self._jobs.put((job, future))
        return future

    def _work(self) -> None:
        while (item := self._jobs.get()) is not None:
            job, future = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(job())
            except BaseException as exc:  # _send catches what it expects
                future.set_exception(exc)

    def shutdown(self) -> None:
        for _ in self._threads:
            self._jobs.put(None)


class DeliveryLoop:
    """Send what the outbox holds; any number of these may run against one database."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        hooks: HooksSettings | None = None,
        transport: httpx.BaseTransport | None = None,
        rng: random.Random | None = None,
        ticks: Ticks | None = None,
    ) -> None:
        self.db = db
        self.secret_key = settings.secret_key
        self.grace_seconds = settings.stop_grace_seconds
        self.ticks = ticks
        self.hooks = hooks or get_hooks_settings()
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self._transport = transport
        # One client (and connection pool) per sending thread: threads sharing one pool
        # spent most of their time waiting for its lock.
        self._local = threading.local()
        self._clients: list[httpx.Client] = []
        self._clients_lock = threading.Lock()
        self.pool = _SendPool(self.hooks.concurrency)
        self.worker_id = uuid4().hex[:12]
        self._wake = threading.Event()
        # Set while the thread waits for a commit or the next poll.
        self.idle = threading.Event()
        self._stop = threading.Event()
        # Set by stop(): past it, sends still in flight are given up and their claims released.
        self._deadline: float | None = None
        self._thread: threading.Thread | None = None

    # --- one round ---------------------------------------------------------------

    def run_once(self, now: datetime | None = None) -> int:
        """Claim due deliveries, send them, record the outcomes; answer how many were sent."""
        at = now or clock.now()
        with self.db.session(readonly=True) as session:
            if not delivery.any_due(session, at) and not fanout.waiting(session):
                return 0
        token = uuid4().hex
        with self.db.session() as session:
            batch = delivery.claim(
                session,
                now=at,
                limit=self.hooks.batch_size,
                lease=self.hooks.lease_seconds,
                token=token,
                secret_key=self.secret_key,
            )
        if not batch:
            return 0
        results = self._gather(batch, at)
        with self.db.session() as session:
            delivery.finish(
                session,
                results,
                now=now or clock.now(),
                token=token,
                settings=self.hooks,
                rng=self.rng,
            )
        return len(batch)

    def _gather(self, batch: list[Claimed], at: datetime) -> list[Result]:
        """Send the batch; once stopping, what has not started is released, and what is in
        flight when the grace ends is released too."""

        def send(item: Claimed) -> Callable[[], Result]:
            def job() -> Result:
                if self._stop.is_set():
                    return Result(item.id, at, 0, released=True)
                return self._send(item, at)

            return job

        futures = {self.pool.submit(send(item)): item for item in batch}
        waiting = set(futures)
        while waiting:
            _, waiting = wait(waiting, timeout=0.25, return_when=FIRST_COMPLETED)
            if waiting and self._deadline is not None and time.monotonic() >= self._deadline:
                break
        results = []
        for future, item in futures.items():
            if future.done():
                results.append(future.result())
            else:
                future.cancel()  # a job not started yet; one in flight ends unheard
                results.append(Result(item.id, at, 0, released=True))
        return results

    def run_until_idle(self, now: datetime | None = None, *, max_rounds: int = 1000) -> int:
        """Run rounds until nothing is due; answer how many deliveries were sent."""
        total = 0
        for _ in range(max_rounds):
            if self._stop.is_set():
                break
            sent = self.run_once(now)
            total += sent
            if self.ticks is not None:
                self.ticks.beat("delivery")
            if sent == 0:
                break
        return total

    def _headers(self, item: Claimed, timestamp: int) -> dict[str, str]:
        headers = {"Content-Type": item.content_type, "X-Firelane-Event": item.event_type}
        headers.update(
            outgoing_headers(
                item.secret, message_id=item.uuid, timestamp=timestamp, body=item.body or b""
            )
        )
        headers.update(item.headers)
        return headers

    def _client(self) -> httpx.Client:
        """This thread's HTTP client (each has its own keep-alive pool)."""
        client: httpx.Client | None = getattr(self._local, "client", None)
        if client is None:
            limits = httpx.Limits(max_connections=4, max_keepalive_connections=4)
            transport = self._transport or guarded_transport(
                allow_private=self.hooks.allow_private, limits=limits
            )
            client = httpx.Client(
                timeout=httpx.Timeout(self.hooks.timeout_seconds),
                limits=limits,
                follow_redirects=False,
                headers={"User-Agent": USER_AGENT},
                cookies=_NoCookies(),
                transport=transport,
            )
            self._local.client = client
            with self._clients_lock:
                self._clients.append(client)
        return client

    def _send(self, item: Claimed, now: datetime) -> Result:
        started = time.perf_counter()

        def elapsed() -> int:
            return round((time.perf_counter() - started) * 1000)

        if item.problem:
            return Result(item.id, now, 0, error=item.problem, final=True)
        timestamp = int(now.timestamp())
        try:
            with self._client().stream(
                item.method,
                _url(item.url),
                content=item.body,
                headers=self._headers(item, timestamp),
            ) as response:
                excerpt = _read_excerpt(response)
                return Result(
                    item.id,
                    now,
                    elapsed(),
                    status_code=response.status_code,
                    response_excerpt=excerpt,
                    retry_after=_retry_after(response.headers.get("retry-after"), now),
                )
        except ForbiddenTarget as exc:  # checked on every attempt: no retry reaches inside
            return Result(item.id, now, elapsed(), error=f"forbidden target: {exc}", final=True)
        except httpx.TimeoutException as exc:
            error = f"timeout: {type(exc).__name__}"
        except httpx.UnsupportedProtocol as exc:
            return Result(item.id, now, elapsed(), error=f"invalid URL: {exc}", final=True)
        except httpx.TransportError as exc:
            error = f"connection error: {type(exc).__name__}: {exc}"
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            return Result(item.id, now, elapsed(), error=f"invalid request: {exc}", final=True)
        except Exception as exc:  # a bug must not strand the batch's claims
            logger.exception("delivery %s: sending failed unexpectedly", item.uuid)
            error = f"internal error: {type(exc).__name__}"
        return Result(item.id, now, elapsed(), error=error)

    # --- the thread --------------------------------------------------------------

    def start(self) -> None:
        """Run rounds in a background thread until ``stop``; commits that queue wake it."""
        if self._thread is not None:
            return
        wakeup.subscribe(self._wake)
        if self.ticks is not None:
            self.ticks.expect("delivery")
        self._thread = threading.Thread(target=self._forever, name="hooks-delivery", daemon=True)
        self._thread.start()
        logger.debug("delivery loop %s started", self.worker_id)

    def wake(self) -> None:
        self._wake.set()

    def _forever(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            self.idle.clear()
            try:
                self.run_until_idle()
            except Exception:
                logger.exception("delivery round failed; retrying shortly")
            self.idle.set()
            if self.ticks is not None:
                self.ticks.beat("delivery")
            self._wake.wait(self.hooks.poll_seconds)

    def stop(self, grace: float | None = None) -> None:
        """Claim nothing more; give the sends in flight ``grace`` seconds (default: the
        setting) to finish and be recorded, release the claims of the rest, then release
        connections."""
        grace = self.grace_seconds if grace is None else grace
        self._deadline = time.monotonic() + grace
        self._stop.set()
        self._wake.set()
        wakeup.unsubscribe(self._wake)
        if self._thread is not None:
            # The round's last write (recording and releasing) follows the grace.
            self._thread.join(grace + 10.0)
            if self._thread.is_alive():
                logger.error("the delivery loop did not stop in time; its claims may wait")
            self._thread = None
        if self.ticks is not None:
            self.ticks.forget("delivery")
        self.close()

    def close(self) -> None:
        self.pool.shutdown()
        with self._clients_lock:
            clients, self._clients = self._clients, []
        for client in clients:
            client.close()
