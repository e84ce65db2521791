"""A TCP proxy on 127.0.0.1 that a test can cut: a stand-in for a network drop between
the app and PostgreSQL or Redis, without touching the shared servers.

    with TcpProxy(5432) as proxy:       # DATABASE_URL -> 127.0.0.1:proxy.port
        proxy.cut()                     # every open connection dropped, new ones refused
        proxy.restore()                 # new connections go through again

Run standalone (for bench/chaos.py or a worker in another process):
``python -m tests.fakes.tcp_proxy --target 6379`` prints its port; SIGUSR1 cuts, SIGUSR2
restores.
"""

from __future__ import annotations

import argparse
import contextlib
import select
import signal
import socket
import threading
import time


class TcpProxy:
    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._lock = threading.Lock()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._cut = False
        self._closed = False
        self.cuts = 0
        self._thread = threading.Thread(target=self._accept_loop, daemon=True, name="tcp-proxy")

    def start(self) -> TcpProxy:
        self._thread.start()
        return self

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def cut(self) -> None:
        """Drop every open connection (RST) and refuse new ones until restore()."""
        with self._lock:
            self._cut = True
            self.cuts += 1
            pairs, self._pairs = self._pairs, []
        for a, b in pairs:
            for sock in (a, b):
                with contextlib.suppress(OSError):
                    # SO_LINGER 0: a reset, as a dropped link or a killed server looks.
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    sock.close()

    def restore(self) -> None:
        with self._lock:
            self._cut = False

    def close(self) -> None:
        self._closed = True
        self.cut()
        with contextlib.suppress(OSError):
            self._server.close()

    def _accept_loop(self) -> None:
        while not self._closed:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            with self._lock:
                refused = self._cut
            if refused:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._pairs.append((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        socks = [a, b]
        try:
            while True:
                readable, _, _ = select.select(socks, [], [], 1.0)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (b if sock is a else a).sendall(data)
        except (OSError, ValueError):
            return
        finally:
            for sock in socks:
                with contextlib.suppress(OSError):
                    sock.close()
            with self._lock, contextlib.suppress(ValueError):
                self._pairs.remove((a, b))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--target", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    proxy = TcpProxy(args.target, args.host).start()
    signal.signal(signal.SIGUSR1, lambda *_: proxy.cut())
    signal.signal(signal.SIGUSR2, lambda *_: proxy.restore())
    print(proxy.port, flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        while True:
            time.sleep(3600)


if __name__ == "__main__":
    main()
