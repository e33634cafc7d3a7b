"""What kind of attachment does a file's name suggest? (a CV, a cover letter, or nothing)

A guess from the words of a name only, never from the content; the user always decides. It
lives apart from :mod:`kombo_tui.core.files.sniff` because it answers a different question (what
the file *is for*, not what format it is) and needs the pydantic models, which sniffing does not.

Typical use::

    kind = suggest_type(path.name)     # AttachmentType.CV / COVER_LETTER / None
"""

from __future__ import annotations

import re
import unicodedata

from ..enums import AttachmentType
from .mime import extension_of

__all__ = ["NO_EXTENSION", "lacks_extension", "suggest_type"]

NO_EXTENSION = "has no extension; the ATS may not open it (e.g. Resume.pdf)"
"""What to say of a name :func:`lacks_extension` (after the name, in every door)."""

_CV_WORDS = frozenset({"cv", "resume", "lebenslauf", "curriculum", "vitae"})
_COVER_WORDS = frozenset(
    {"cover", "coverletter", "anschreiben", "motivation", "motivationsschreiben", "lettre",
     "motivationletter", "motivationsbrief"}
)
_CV_SUFFIXES = ("lebenslauf",)
_COVER_SUFFIXES = ("anschreiben", "motivationsschreiben")
_WORD_RE = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


def _words(file_name: str) -> list[str]:
    base = re.split(r"[\\/]", file_name)[-1]
    ext = extension_of(base)
    if ext is not None:
        base = base[: -len(ext)]
    plain = "".join(
        c for c in unicodedata.normalize("NFKD", base) if not unicodedata.combining(c)
    ).replace("ß", "ss")
    return [w.lower() for w in _WORD_RE.findall(plain)]


def suggest_type(file_name: str) -> AttachmentType | None:
    """Suggest CV or COVER_LETTER from words in a file name (the user decides otherwise).

    Words are split on punctuation, digits and camelCase, compared case- and
    accent-insensitively: ``cv``, ``resume``/``résumé``, ``lebenslauf``, ``curriculum`` mean
    a CV; ``cover``/``coverletter``, ``anschreiben``, ``motivation``/``motivationsschreiben``,
    ``lettre`` mean a cover letter. German compounds ending in ``-lebenslauf`` or
    ``-anschreiben`` count too. A name with words of both kinds is ambiguous.

    Args:
        file_name: A file name or path, e.g. ``Jane_Doe_CV_2024.pdf``.

    Returns:
        The suggested type, or None when the name does not say (or says both).
    """
    words = _words(file_name)
    cv = any(w in _CV_WORDS or w.endswith(_CV_SUFFIXES) for w in words)
    cover = any(w in _COVER_WORDS or w.endswith(_COVER_SUFFIXES) for w in words)
    if cv and not cover:
        return AttachmentType.CV
    if cover and not cv:
        return AttachmentType.COVER_LETTER
    return None


def lacks_extension(name: str) -> bool:
    """Whether an attachment name has no extension (``Resume``, ``Resume.``, ``.pdf``)."""
    return "." not in name.strip(".") or name.endswith(".")
