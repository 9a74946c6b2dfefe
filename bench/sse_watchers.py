"""Many board-stream readers in one process, as cheap as a reader can be.

Raw sockets and one selector: each connection sends its GET once, then every wake-up is one
``recv`` per ready socket and a substring count, no HTTP or SSE parsing. Run by
bench/streams.py as a process of its own, so that its CPU time is counted apart from the
server's.

    python bench/sse_watchers.py HOST PORT PATH TOKEN COUNT

It prints ``ready`` once every stream has answered its headers, then reads stdin; at its end
(or a line ``stop``) it prints one JSON line: card events heard by each stream, and bytes.
"""

from __future__ import annotations

import json
import selectors
import socket
import sys
import threading

# Every card event's frame holds this line once; a frame is never split across chunks
# of the chunked encoding (the server writes whole frames), only across recv() calls.
MARK = b"\nevent: card\n"


def _connect(host: str, port: int, request: bytes) -> socket.socket:
    sock = socket.create_connection((host, port))
    sock.sendall(request)
    sock.setblocking(False)
    return sock


def main() -> None:
    host, port, path, token, count = sys.argv[1:6]
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
        "Accept: text/event-stream\r\n\r\n"
    ).encode()
    selector = selectors.DefaultSelector()
    heard = [0] * int(count)
    tails = [b""] * int(count)
    headers = [False] * int(count)
    received = 0
    for number in range(int(count)):
        selector.register(_connect(host, int(port), request), selectors.EVENT_READ, number)
    stopping = threading.Event()

    def wait_for_stop() -> None:
        for line in sys.stdin:
            if line.strip() == "stop":
                break
        stopping.set()

    threading.Thread(target=wait_for_stop, daemon=True).start()
    announced = False
    while not stopping.is_set():
        for key, _ in selector.select(timeout=0.2):
            sock: socket.socket = key.fileobj  # type: ignore[assignment]
            number = key.data
            data = sock.recv(262_144)
            if not data:
                selector.unregister(sock)
                sock.close()
                continue
            received += len(data)
            if not headers[number]:
                if not data.startswith(b"HTTP/1.1 200"):
                    raise SystemExit(f"stream {number} answered {data[:200]!r}")
                headers[number] = True
            window = tails[number] + data
            heard[number] += window.count(MARK)
            tails[number] = window[-(len(MARK) - 1) :]
        if not announced and all(headers):
            print("ready", flush=True)
            announced = True
    print(json.dumps({"heard": heard, "bytes": received}), flush=True)


if __name__ == "__main__":
    main()
