"""Local video benchmark: a 10-slide lesson rendered to a narrated MP4 (issue-14).

    .venv/bin/python bench/video.py [--slides 10 --language ru --repeat 1]

Prints figures only: total and per-slide time (split into drawing + narration, and the
ffmpeg encode), the video's duration, the file size, the Python peak (tracemalloc) and the
largest child process's max RSS (ffmpeg or espeak-ng). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.video.local import Scene, render_local
from core.video.tools import probe

TEXT = {
    "en": ("Step {i}: check the inputs", "Validate the schema", "Transform the rows",
           "On this slide we look at step {i}. First we validate the schema of the file, then we "
           "transform the rows, and finally we compare the totals with the source."),
    "ru": ("Шаг {i}: проверка входных данных", "Проверить схему", "Преобразовать строки",
           "На этом слайде разберём шаг {i}. Сначала проверяем схему файла, затем преобразуем "
           "строки и в конце сверяем итоги с источником."),
}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slides", type=int, default=10)
    parser.add_argument("--language", default="ru", choices=sorted(TEXT))
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    title, b1, b2, said = TEXT[args.language]
    scenes = [
        Scene(title=title.format(i=i), bullets=[b1, b2], narration=said.format(i=i))
        for i in range(1, args.slides + 1)
    ]
    best = None
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            marks: list[float] = []
            tracemalloc.start()
            started = time.perf_counter()
            result = render_local(
                scenes,
                Path(tmp),
                language=args.language,
                on_scene=lambda _i, _n, marks=marks: marks.append(time.perf_counter()),
            )
            total = time.perf_counter() - started
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            info = probe(result.video)
            size = result.video.stat().st_size
        prepare = marks[-1] - started
        run = (total, prepare, total - prepare, float(info["format"]["duration"]), size, peak)
        best = run if best is None or run[0] < best[0] else best
    assert best is not None
    total, prepare, encode, duration, size, peak = best
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(f"local video: {args.slides} slides ({args.language}), best of {args.repeat}")
    print(f"  total            {total:8.2f} s   ({total / args.slides:.2f} s per slide)")
    print(f"  frames + speech  {prepare:8.2f} s   ({prepare / args.slides:.2f} s per slide)")
    print(f"  ffmpeg encode    {encode:8.2f} s")
    print(f"  video duration   {duration:8.1f} s   ({duration / total:.1f}x real time)")
    print(f"  file size        {size / 1024:8.0f} KiB")
    print(f"  python peak      {peak / 2**20:8.1f} MiB (tracemalloc)")
    print(f"  child max RSS    {children / 1024:8.0f} MiB (ffmpeg / espeak-ng)")
    print(f"  process max RSS  {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:8.0f} MiB")


if __name__ == "__main__":
    main()
