"""Lesson videos: the local narrated-slide renderer, the HeyGen client, scripts and scenes."""
