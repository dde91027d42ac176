"""The `os_type` of a customer event, read from a User-Agent when the client does not say."""

from __future__ import annotations

# Checked in order: iPadOS and iOS user agents also say "like Mac OS X", Android ones "Linux".
_MARKERS = (
    ("IOS", ("iphone", "ipad", "ipod")),
    ("ANDROID", ("android",)),
    ("WINDOWS", ("windows",)),
    ("MACOS", ("macintosh", "mac os x")),
    ("LINUX", ("linux", "x11", "cros")),
)

OS_TYPES = ("IOS", "ANDROID", "WINDOWS", "MACOS", "LINUX", "OTHER")


def os_type_from_user_agent(user_agent: str) -> str:
    ua = user_agent.lower()
    for os_type, markers in _MARKERS:
        if any(marker in ua for marker in markers):
            return os_type
    return "OTHER"
