"""The file to send, looked at before it goes: safe opening and fingerprints (``checks``), the
one MIME vocabulary (``mime``), content sniffing (``sniff``, with ``ooxml`` for ZIP formats)
and what a file's name says (``naming``)."""
