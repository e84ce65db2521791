"""A narrated slide video built on this machine: no service, no key.

Each scene (one slide) is drawn to a PNG with Pillow, its narration is spoken by espeak-ng
into a WAV, and ffmpeg assembles an H.264/AAC MP4 in which every slide stays up exactly as
long as its narration (plus a short pause). The same timings give WebVTT captions (a
sidecar file and a mov_text stream inside the MP4) and one chapter per slide (ffmetadata).

Slides are drawn directly rather than through PPTX + LibreOffice: LibreOffice takes
seconds per deck to start, and the frames only need titles and bullets legibly.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import textwrap
import unicodedata
import wave
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import AppError, Code
from core.video.tools import espeak_voices, festival_voices, run, tool

WIDTH, HEIGHT = 1280, 720
FPS = 5  # still images: a low frame rate keeps encoding cheap and seeking exact enough
PAUSE_S = 0.5  # silence after each slide's narration, so slides do not run together
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
DEFAULT_VOICE = {"en": "en-us", "ru": "ru"}
SPEED_WPM = 160
CHARS_PER_SECOND = 12.5  # what espeak-ng at SPEED_WPM says in en and ru, measured here


@dataclass
class Scene:
    """One slide of the video: what is shown and what is said."""

    title: str
    bullets: list[str] = field(default_factory=list)
    narration: str = ""


@dataclass
class LocalVideo:
    video: Path
    captions: Path
    duration_s: float
    chapters: list[tuple[float, float, str]]  # (start, end, title)
    narration_s: float  # the spoken audio alone, pauses excluded


def voices_for(language: str) -> list[dict[str, str]]:
    """Installed voices for a content language, best-sounding first: Festival's (when its
    festvox packages are installed), then espeak-ng's."""
    lang = language.split("-")[0]
    return festival_voices().get(lang, []) + espeak_voices().get(lang, [])


def pick_voice(language: str, voice: str | None) -> str:
    available = {v["id"] for v in voices_for(language)}
    if voice:
        if voice not in available:
            raise AppError(
                Code.VALIDATION,
                f"the voice {voice!r} is not installed for {language!r}; "
                f"choose one of {', '.join(sorted(available)) or 'none (install espeak-ng)'}",
            )
        return voice
    festival = [v["id"] for v in festival_voices().get(language.split("-")[0], [])]
    if festival:
        return festival[0]
    wanted = DEFAULT_VOICE.get(language, language)
    if wanted in available:
        return wanted
    if available:
        return sorted(available)[0]
    raise AppError(Code.VIDEO_TOOL_MISSING, f"espeak-ng has no voice for {language!r}")


# ------------------------------------------------------------------ slides


def _font(size: int, bold: bool = False):  # type: ignore[no-untyped-def]
    from PIL import ImageFont

    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    try:
        return ImageFont.truetype(str(FONT_DIR / name), size)
    except OSError as exc:
        raise AppError(
            Code.VIDEO_TOOL_MISSING, "the DejaVu fonts are missing; install the Debian package fonts-dejavu"
        ) from exc


def _printable(text: str) -> str:
    # DejaVu has no emoji or pictographs (✅ 🦔): drop symbols ("So"), surrogates and
    # private-use characters rather than draw empty boxes or have them spelled out.
    return "".join(ch for ch in text if unicodedata.category(ch) not in ("So", "Cs", "Co", "Cn")).strip()


def draw_slide(scene: Scene, path: Path, *, number: int, total: int) -> None:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (WIDTH, HEIGHT), (250, 250, 247))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, WIDTH, 12), fill=(37, 99, 235))
    title_font, body_font, small = _font(44, bold=True), _font(30), _font(20)
    y = 60
    for line in textwrap.wrap(_printable(scene.title), width=44)[:2]:
        draw.text((70, y), line, font=title_font, fill=(17, 24, 39))
        y += 58
    y += 24
    for bullet in scene.bullets[:6]:
        lines = textwrap.wrap(_printable(bullet), width=62)[:2] or [""]
        draw.ellipse((76, y + 12, 88, y + 24), fill=(37, 99, 235))
        for line in lines:
            draw.text((106, y), line, font=body_font, fill=(31, 41, 55))
            y += 40
        y += 14
        if y > HEIGHT - 90:
            break
    draw.text((WIDTH - 110, HEIGHT - 44), f"{number} / {total}", font=small, fill=(107, 114, 128))
    img.save(path, "PNG", optimize=False)


# ------------------------------------------------------------------ narration


def speak(text: str, path: Path, *, voice: str, fallback: str | None = None) -> float:
    """Narrate `text` into a WAV (Festival or espeak-ng); returns its duration in seconds.

    Festival can exit 0 with an empty or near-empty WAV on text it cannot parse; such a
    scene is spoken by the `fallback` espeak-ng voice instead of staying silent.
    """
    spoken = _printable(text) or "."
    if voice.startswith("festival:"):
        # The text goes in a file (read as text, never as Scheme); only the voice name,
        # checked against the installed voices, is evaluated.
        source = path.with_suffix(".txt")
        source.write_text(spoken, encoding="utf-8")
        name = voice.split(":", 1)[1]
        run([tool("text2wave"), "-eval", f"(voice_{name})", "-o", str(path), str(source)])
        try:
            seconds = wav_duration(path)
        except (EOFError, OSError, wave.Error):
            seconds = 0.0
        # Far shorter than anyone could say it (about 25 characters a second at most).
        if seconds >= len(spoken) / 25 or fallback is None:
            return seconds
        voice = fallback
    run([tool("espeak-ng"), "-v", voice, "-s", str(SPEED_WPM), "-w", str(path), "--stdin"], input_text=spoken)
    return wav_duration(path)


def wav_duration(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / float(w.getframerate())


def join_wavs(parts: list[Path], out: Path, *, pause_s: float) -> None:
    """One WAV of every part with `pause_s` of silence after each (same format: espeak's)."""
    with wave.open(str(parts[0]), "rb") as first:
        params = first.getparams()
    silence = b"\x00" * (int(params.framerate * pause_s) * params.sampwidth * params.nchannels)
    with wave.open(str(out), "wb") as dst:
        dst.setparams(params)
        for part in parts:
            with wave.open(str(part), "rb") as src:
                dst.writeframes(src.readframes(src.getnframes()))
            dst.writeframes(silence)


# ------------------------------------------------------------------ captions and chapters


def _sentences(text: str) -> list[str]:
    parts = [p.strip() for p in re.split(r"(?<=[.!?…])\s+", _printable(text)) if p.strip()]
    out: list[str] = []
    for part in parts:
        # Long sentences become several cues: a caption should fit on two lines.
        out += textwrap.wrap(part, width=84) or [part]
    return out


def _ts(seconds: float) -> str:
    ms = round(seconds * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def webvtt(cues: list[tuple[float, float, str]]) -> str:
    lines = ["WEBVTT", ""]
    for i, (start, end, text) in enumerate(cues, 1):
        # A cue's text may not contain "-->"; "<" and "&" would start markup.
        safe = text.replace("-->", "→").replace("&", "&amp;").replace("<", "&lt;")
        lines += [str(i), f"{_ts(start)} --> {_ts(end)}", safe, ""]
    return "\n".join(lines)


def caption_cues(texts: list[str], spans: list[tuple[float, float]]) -> list[tuple[float, float, str]]:
    """Split each slide's narration into sentences, timed in proportion to their length."""
    cues: list[tuple[float, float, str]] = []
    for text, (start, end) in zip(texts, spans, strict=True):
        sentences = _sentences(text)
        total = sum(len(s) for s in sentences) or 1
        t = start
        for sentence in sentences:
            span = (end - start) * len(sentence) / total
            cues.append((t, t + span, sentence))
            t += span
    return cues


def ffmetadata(chapters: list[tuple[float, float, str]]) -> str:
    def esc(value: str) -> str:
        # ffmetadata escapes '=', ';', '#', '\' and newlines with a backslash.
        return re.sub(r"([=;#\\\n])", r"\\\1", value)

    lines = [";FFMETADATA1"]
    for start, end, title in chapters:
        lines += [
            "[CHAPTER]",
            "TIMEBASE=1/1000",
            f"START={round(start * 1000)}",
            f"END={round(end * 1000)}",
            f"title={esc(_printable(title))}",
        ]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ assembly


def render_local(
    scenes: list[Scene],
    out_dir: Path,
    *,
    language: str,
    voice: str | None = None,
    stem: str = "video",
    on_scene: object = None,
) -> LocalVideo:
    """Build `<stem>.mp4` and `<stem>.vtt` in `out_dir` from the scenes.

    `on_scene(i, total)` is called after each scene is drawn and narrated (progress).
    Files are written under a temporary name and moved into place at the end, so a
    crash never leaves a half-written video where the app would offer it.
    """
    if not scenes:
        raise AppError(Code.VALIDATION, "the video has no scenes; write the lesson's slides first")
    ffmpeg = tool("ffmpeg")
    voice_id = pick_voice(language, voice)
    espeak = [v["id"] for v in espeak_voices().get(language.split("-")[0], [])]
    wanted = DEFAULT_VOICE.get(language, language)
    fallback = wanted if wanted in espeak else (espeak[0] if espeak else None)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cs-video-", dir=out_dir) as tmp_name:
        tmp = Path(tmp_name)
        spans: list[tuple[float, float]] = []
        wavs: list[Path] = []
        narration_s = 0.0
        t = 0.0
        for i, scene in enumerate(scenes):
            draw_slide(scene, tmp / f"slide-{i:03d}.png", number=i + 1, total=len(scenes))
            wav = tmp / f"voice-{i:03d}.wav"
            seconds = speak(scene.narration or scene.title, wav, voice=voice_id, fallback=fallback)
            wavs.append(wav)
            narration_s += seconds
            spans.append((t, t + seconds + PAUSE_S))
            t += seconds + PAUSE_S
            if callable(on_scene):
                on_scene(i + 1, len(scenes))
        join_wavs(wavs, tmp / "narration.wav", pause_s=PAUSE_S)
        chapters = [(s, e, sc.title) for (s, e), sc in zip(spans, scenes, strict=True)]
        cues = caption_cues([sc.narration or sc.title for sc in scenes], [(s, e - PAUSE_S) for s, e in spans])
        (tmp / "captions.vtt").write_text(webvtt(cues), encoding="utf-8")
        (tmp / "chapters.txt").write_text(ffmetadata(chapters), encoding="utf-8")

        # One image stream through the concat demuxer (one decoder, whatever the slide
        # count) rather than one looped input per slide, which kept every slide's decoder
        # and frame queue in memory at once. The last slide is listed twice: the demuxer
        # ignores the duration of the final entry otherwise.
        listing = [
            f"file 'slide-{i:03d}.png'\nduration {end - start:.3f}" for i, (start, end) in enumerate(spans)
        ]
        listing.append(f"file 'slide-{len(spans) - 1:03d}.png'")
        (tmp / "slides.txt").write_text("\n".join(listing) + "\n", encoding="utf-8")
        args = [ffmpeg, "-y", "-v", "error", "-f", "concat", "-safe", "0", "-i", str(tmp / "slides.txt")]
        args += [
            "-i",
            str(tmp / "narration.wav"),
            "-i",
            str(tmp / "captions.vtt"),
            "-i",
            str(tmp / "chapters.txt"),
        ]
        args += [
            "-map",
            "0:v",
            "-map",
            "1:a",
            "-map",
            "2:s",
            "-map_metadata",
            "3",
            "-map_chapters",
            "3",
            "-vf",
            f"fps={FPS},format=yuv420p",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-tune",
            "stillimage",
            "-c:a",
            "aac",
            "-b:a",
            "96k",
            "-c:s",
            "mov_text",
            "-metadata:s:s:0",
            f"language={'rus' if language.startswith('ru') else 'eng'}",
            "-movflags",
            "+faststart",
            "-shortest",
            str(tmp / "video.mp4"),
        ]
        run(args, timeout=1800)
        video, captions = out_dir / f"{stem}.mp4", out_dir / f"{stem}.vtt"
        shutil.move(str(tmp / "captions.vtt"), captions)
        shutil.move(str(tmp / "video.mp4"), video)
    return LocalVideo(
        video=video, captions=captions, duration_s=t, chapters=chapters, narration_s=narration_s
    )
