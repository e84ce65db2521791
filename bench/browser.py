"""Page-switch times in chromium on a 10-module x 10-lesson course (issue 18).

A person's click on a sidebar entry is timed until the new page's heading is shown and
Streamlit reports the script run over. Prints p50/p95 per page and overall; never asserts.
Target: p95 < 400 ms on this machine. "Before and after": run it against another
checkout with --root (its own code, migrations and factories are used).

    python bench/browser.py [--rounds 6] [--root /path/to/checkout]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = {  # sidebar entry -> the page's heading (English UI)
    "Structure": "Structure",
    "Lessons": "Lessons",
    "Slides": "Slides",
    "Export": "Export",
    "Courses": "Courses",
    "Parameters": "Parameters",
}
SEED = (
    "from core.db import migrate, session_scope\n"
    "from tests.factories import make_course\n"
    "migrate()\n"
    "with session_scope() as s:\n"
    "    print(make_course(s, modules=10, lessons=10, slides=6))\n"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_app(root: Path, env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=root,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                return proc, url
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"streamlit did not start: {log.read_text()[-2000:]}")


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout whose app is measured")
    args = parser.parse_args()
    root = args.root.resolve()

    sys.path.insert(0, str(ROOT))
    from playwright import sync_api

    from tests.browser import launch

    tmp = Path(tempfile.mkdtemp(prefix="bench-browser-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp}/bench.db",
        "LLM_PROVIDER": "offline",
        "APP_ENV": "test",
        "PYTHONPATH": str(root),
    }
    env.pop("REDIS_URL", None)
    seeded = subprocess.run([sys.executable, "-c", SEED], cwd=root, env=env, capture_output=True, text=True)
    if seeded.returncode != 0:
        raise SystemExit(f"seeding failed: {seeded.stderr[-2000:]}")
    course_id = int(seeded.stdout.strip().splitlines()[-1])

    proc, url = _start_app(root, env, tmp / "app.log")
    times: dict[str, list[float]] = {name: [] for name in PAGES}
    try:
        with sync_api.sync_playwright() as pw:
            browser = launch(pw)
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.set_default_timeout(60_000)
            expect = sync_api.expect
            expect.set_options(timeout=60_000)
            page.goto(f"{url}/?lang=en&course={course_id}")
            expect(page.locator("h1", has_text="Courses")).to_be_visible()
            status = page.get_by_test_id("stStatusWidget")
            nav = page.get_by_test_id("stSidebarNav")
            for round_no in range(args.rounds + 1):  # round 0 warms every page up, not counted
                for entry, heading in PAGES.items():
                    expect(status).to_have_count(0)
                    started = time.perf_counter()
                    nav.get_by_text(entry, exact=True).click()
                    expect(page.locator("h1", has_text=heading)).to_be_visible()
                    expect(status).to_have_count(0)
                    elapsed = (time.perf_counter() - started) * 1000
                    if round_no:
                        times[entry].append(elapsed)
            browser.close()
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(15)

    load = os.getloadavg()[0]
    print(f"app               {root}")
    print(
        f"course            10 modules x 10 lessons x 6 slides; {args.rounds} rounds; load average {load:.1f}"
    )
    print(f"{'page':<12}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    every: list[float] = []
    for entry, values in times.items():
        every += values
        p50, p95 = statistics.median(values), _percentile(values, 0.95)
        print(f"{entry:<12}{p50:>9.0f}{p95:>9.0f}{max(values):>9.0f}")
    print(f"{'all':<12}{statistics.median(every):>9.0f}{_percentile(every, 0.95):>9.0f}{max(every):>9.0f}"
          "   (target p95 < 400 ms)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
