"""The command-line tools the local renderer drives (espeak-ng, ffmpeg, ffprobe).

A missing tool is an AppError naming the Debian package, never a silent skip:
`scripts/system-deps.sh` installs them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Any

from core.errors import AppError, Code

PACKAGES = {"espeak-ng": "espeak-ng", "ffmpeg": "ffmpeg", "ffprobe": "ffmpeg", "text2wave": "festival"}
FESTIVAL_VOICES = Path("/usr/share/festival/voices")
# Festival keeps voices by language folder; only the course languages we offer are mapped.
# Not Russian: festvox-ru (msu_ru_nsh_clunits) writes an empty WAV and exits 0 on ordinary
# text ("Проблему. Еж ."), so Russian narration stays with espeak-ng.
FESTIVAL_LANGUAGES = {"us": "en", "english": "en"}


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise AppError(
            Code.VIDEO_TOOL_MISSING,
            f"{name} is not installed; install the Debian package {PACKAGES.get(name, name)} "
            "(scripts/system-deps.sh) to build local videos",
        )
    return path


def run(args: list[str], *, timeout: float = 600, input_text: str | None = None) -> str:
    """Run a tool; a failure raises E.VIDEO.RENDER with the tool's last lines of stderr."""
    try:
        done = subprocess.run(
            args,
            input=input_text,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise AppError(Code.VIDEO_RENDER, f"{Path(args[0]).name} took longer than {timeout:.0f}s") from exc
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        raise AppError(Code.VIDEO_RENDER, f"{Path(args[0]).name} failed ({done.returncode}): {tail}")
    return done.stdout


def probe(path: Path) -> dict[str, Any]:
    """ffprobe's JSON view of a media file: format, streams and chapters."""
    out = run(
        [
            tool("ffprobe"),
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
            "-show_chapters",
            str(path),
        ],
        timeout=60,
    )
    return json.loads(out)


@lru_cache(maxsize=1)
def festival_voices() -> dict[str, list[dict[str, str]]]:
    """Installed Festival voices (festvox-* packages) by language; empty without festival."""
    if shutil.which("text2wave") is None or not FESTIVAL_VOICES.is_dir():
        return {}
    voices: dict[str, list[dict[str, str]]] = {}
    for folder, language in FESTIVAL_LANGUAGES.items():
        for voice in sorted((FESTIVAL_VOICES / folder).glob("*")):
            if voice.is_dir() and voice.name.replace("_", "").isalnum():
                voices.setdefault(language, []).append(
                    {"id": f"festival:{voice.name}", "name": f"Festival {voice.name}", "file": str(voice)}
                )
    return voices


@lru_cache(maxsize=1)
def espeak_voices() -> dict[str, list[dict[str, str]]]:
    """Installed espeak-ng voices by language prefix ("en", "ru", ...)."""
    out = run([tool("espeak-ng"), "--voices"], timeout=30)
    voices: dict[str, list[dict[str, str]]] = {}
    for line in out.splitlines()[1:]:
        parts = line.split()
        if len(parts) < 5:
            continue
        language, name, file = parts[1], parts[3], parts[4]
        voices.setdefault(language.split("-")[0], []).append(
            {"id": language, "name": name.replace("_", " "), "file": file}
        )
    return voices
