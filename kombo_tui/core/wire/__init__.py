"""What went over the wire and how to show it again: the bounded exchange log
(``exchanges``), the client that records into it (``recording``), its lines for a terminal
(``text``), HAR 1.2 (``har``) and the curl export with its safe file writes (``export``)."""
