"""The application picker: filter loaded applications as you type, page in more as you scroll.

Fast with 20,000 rows: each row carries a precomputed lowercase haystack, a keystroke is one
pass of substring tests, and the table is virtual (:class:`VirtualTable` renders only the
rows on screen), so no keystroke builds thousands of rows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from kombo_tui.core.errors import KomboError
from kombo_tui.core.hints import counted

from ..columns import Column
from ..perf import settle_gc
from ..state import PickedApplication
from ..text import safe_line
from ..widgets.common import NO_CONTROLS, content
from ..widgets.keybar import KeyBar
from ..widgets.virtual_table import VirtualTable

if TYPE_CHECKING:
    from kombo_tui.core.client import KomboClient
    from kombo_tui.core.models import Application, Candidate

LOAD_AHEAD = 20
"""Load the next server page when the cursor comes this close to the last row."""
PAGE_SIZE = 250
"""Applications per server page (Kombo's maximum)."""

COLUMNS = (
    Column("Candidate", 18, 12),
    Column("Email", 26, 14),
    Column("Job", 20, 12),
    Column("Stage", 19, 8, drop=2),
    Column("Outcome", 8, drop=4),
    Column("Updated", 10, drop=3),
    Column("Application", 18, 12, crop="middle"),
)
"""Candidate, email, job and application id always (narrowed at 80 columns; an id is cut in its
middle, both ends stay); then stage, updated and outcome as the width allows (120: the stage)."""


class Row(NamedTuple):
    """One application as the picker shows it, with its search haystack.

    A tuple of strings on purpose: the garbage collector stops tracking such tuples, so
    20,000 loaded rows add nothing to collection pauses.
    """

    id: str
    candidate: str
    email: str
    job: str
    stage: str
    outcome: str
    updated: str
    hay: str

    @property
    def cells(self) -> tuple[str, ...]:
        """The row as the table shows it: candidate data is inert text (built only for rows on screen)."""
        cells = (self.candidate, self.email, self.job, self.stage, self.outcome, self.updated, self.id)
        return tuple(safe_line(cell) for cell in cells)

    @property
    def picked(self) -> PickedApplication:
        return PickedApplication(
            id=self.id,
            candidate=self.candidate or None,
            email=self.email or None,
            job=self.job or None,
            stage=self.stage or None,
            outcome=self.outcome or None,
        )


def _row(picked: PickedApplication, updated: str) -> Row:
    hay = " ".join(x for x in (picked.candidate, picked.email, picked.job, picked.id) if x).lower()
    return Row(
        picked.id,
        picked.candidate or "",
        picked.email or "",
        picked.job or "",
        picked.stage or "",
        picked.outcome or "",
        updated,
        hay,
    )


def row_from_application(app: Application) -> Row:
    cand = app.candidate
    picked = PickedApplication(
        id=app.id,
        candidate=cand.full_name if cand else None,
        email=cand.email if cand else None,
        job=app.job.name if app.job else None,
        stage=app.current_stage.name if app.current_stage else None,
        outcome=app.outcome,
    )
    return _row(picked, (app.remote_updated_at or app.changed_at or "")[:10])


def rows_from_candidate(candidate: Candidate) -> list[Row]:
    out = []
    for app in candidate.applications:
        picked = PickedApplication(
            id=app.id,
            candidate=candidate.full_name,
            email=candidate.email,
            job=app.job.name if app.job else None,
            stage=app.current_stage.name if app.current_stage else None,
            outcome=app.outcome,
        )
        out.append(_row(picked, (app.changed_at or "")[:10]))
    return out


def row_from_candidate(candidate: Candidate) -> Row:
    """A candidate as the candidate picker shows it: name, email, the jobs applied to, how many
    applications, the last activity and the candidate id (in the cells :data:`CANDIDATE_COLUMNS` name)."""
    jobs = ", ".join(dict.fromkeys(a.job.name for a in candidate.applications if a.job and a.job.name))
    count = counted(len(candidate.applications), "application")
    picked = PickedApplication(id=candidate.id, candidate=candidate.full_name, email=candidate.email, job=jobs or None)
    latest = max((a.changed_at or "" for a in candidate.applications), default="")  # their last activity
    return _row(picked, latest[:10])._replace(stage=count, outcome="")


@dataclass
class PickerCache:
    """Applications (or candidates) loaded so far for one integration (kept while the app runs)."""

    integration_id: str
    rows: list[Row] = field(default_factory=list)
    next_cursor: str | None = None
    complete: bool = False
    """True once the last page was loaded."""


class MatchedCells(Sequence[tuple[str, ...]]):
    """The cells of the matching rows, read lazily by the table."""

    def __init__(self, rows: list[Row], matches: list[int]) -> None:
        self.rows = rows
        self.matches = matches

    def __len__(self) -> int:
        return len(self.matches)

    def __getitem__(self, index):  # type: ignore[no-untyped-def]
        return self.rows[self.matches[index]].cells


def matching(rows: list[Row], query: str) -> list[int]:
    """Indexes of rows whose haystack holds every word of ``query`` (case-insensitive)."""
    words = query.lower().split()
    if not words:
        return list(range(len(rows)))
    if len(words) == 1:
        word = words[0]
        return [i for i, row in enumerate(rows) if word in row.hay]
    return [i for i, row in enumerate(rows) if all(w in row.hay for w in words)]


def _picker_keys(kind: str, screen_id: str) -> list[BindingType]:
    """A picker's keys, the same for applications and candidates but for the id F2 takes."""
    return [
        Binding("escape", "close", "Close", id=f"{screen_id}.close"),
        Binding("f2", "use_id", "Use text as id", tooltip=f"Take what you typed as the {kind} id"),
        Binding("f4", "search_email", "Search email on server", tooltip="GET /ats/candidates?email=…"),
        Binding("ctrl+l", "load_all", "Load all pages", tooltip="Fetch every page so the filter sees all"),
        Binding("down", "focus_table", "Table", show=False),
    ]


class ApplicationPicker(ModalScreen[PickedApplication | None]):
    """A table of applications: type to filter, scroll to load more, F4 email search, F2 id."""

    KIND = "application"
    """What is picked (the title, the hints and F2's id say so)."""
    COLUMNS = COLUMNS
    PLACEHOLDER = "filter by candidate, email or job · paste an id and press F2 · F4 searches an email"

    BINDINGS = _picker_keys("application", "picker")

    def __init__(
        self,
        cache: PickerCache,
        get_client: Callable[[], Awaitable[KomboClient]],
    ) -> None:
        super().__init__(id="picker" if self.KIND == "application" else f"{self.KIND}-picker", classes="dialog-screen")
        self.cache = cache
        self._get_client = get_client
        self._matches: list[int] = []
        self._server_rows: list[Row] | None = None
        """Rows of an email search on the server (None: browsing loaded applications)."""
        self._loading = False
        self._load_failed = False
        """The last page load failed: ctrl+l tries again (no "more on the server" then)."""
        self.status_text = ""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog table-dialog"):
            yield Static(f"Pick {'an' if self.KIND == 'application' else 'a'} {self.KIND} — {safe_line(self.cache.integration_id)}",
                         classes="dialog-title", markup=False)
            yield Input(
                placeholder=self.PLACEHOLDER,
                compact=True,
                id="filter",
                restrict=NO_CONTROLS,
                select_on_focus=False,  # typing in the table comes back here to go on filtering
            )
            yield Static("", id="picker-status", classes="detail")
            yield VirtualTable(self.COLUMNS, id="apps")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#filter", Input).focus()
        settle_gc()
        self._apply_filter("")
        if not self.cache.rows and not self.cache.complete:
            self.load_next_page()

    # ------------------------------------------------------------------ rows

    @property
    def source(self) -> list[Row]:
        return self._server_rows if self._server_rows is not None else self.cache.rows

    def _apply_filter(self, query: str) -> None:
        self._matches = matching(self.source, query)
        self._show()
        self._update_status()

    def _show(self, *, keep_cursor: bool = False) -> None:
        self.query_one("#apps", VirtualTable).set_rows(MatchedCells(self.source, self._matches), keep_cursor=keep_cursor)

    def _update_status(self, extra: str = "", style: str = "") -> None:
        """The status line: ``extra`` (plain text, in ``style``) before the counts."""
        total = len(self.source)
        if self._server_rows is not None:
            text = f"{counted(len(self._matches), self.KIND)} of the matching candidates found on the server · Esc closes, edit the filter to go back"
        else:
            query = self.query_one("#filter", Input).value.strip()
            more = " · ctrl+l tries again" if self._load_failed else " · more on the server (scroll down or ctrl+l)"
            loaded = f"{total:,} loaded" + ("" if self.cache.complete else more)
            if query:
                text = f"{counted(len(self._matches), 'match', 'matches')} in {loaded}"
            else:
                text = loaded
        if self._loading:
            text = "Loading… · " + text
        self.status_text = (extra + " · " if extra else "") + text
        said = ((extra, style), (" · ", "")) if extra else ()
        self.query_one("#picker-status", Static).update(content((*said, (text, ""))))

    def _picked_at(self, row_index: int) -> PickedApplication | None:
        if 0 <= row_index < len(self._matches):
            return self.source[self._matches[row_index]].picked
        return None

    # ------------------------------------------------------------------ loading

    @work(exclusive=True, group="picker-page", exit_on_error=False)
    async def load_next_page(self, all_pages: bool = False) -> None:
        self._loading = True
        self._update_status()
        try:
            client = await self._get_client()
            while not self.cache.complete:
                rows, self.cache.next_cursor = await self._fetch_page(client, self.cache.next_cursor)
                self._add_loaded(rows)
                self.cache.complete = self.cache.next_cursor is None
                if not all_pages:
                    break
                self._update_status()
        except KomboError as exc:
            self._loading = False
            self._load_failed = True
            self._update_status(f"✗ {safe_line(exc)}", "$error")
            return
        self._loading = False
        self._load_failed = False
        self._update_status()
        settle_gc()

    async def _fetch_page(self, client: KomboClient, cursor: str | None) -> tuple[list[Row], str | None]:
        """One server page of rows, and the next page's cursor (None: that was the last)."""
        page = await client.list_applications(integration_id=self.cache.integration_id, cursor=cursor, page_size=PAGE_SIZE)
        return [row_from_application(a) for a in page.results], page.next

    def _server_rows_for(self, candidates: Sequence[Candidate]) -> list[Row]:
        """What an email search on the server lists: each matching candidate's applications."""
        rows: list[Row] = []
        for candidate in candidates:
            rows.extend(rows_from_candidate(candidate))
        return rows

    def _add_loaded(self, new_rows: Iterable[Row]) -> None:
        start = len(self.cache.rows)
        self.cache.rows.extend(new_rows)
        if self._server_rows is not None:
            return
        query = self.query_one("#filter", Input).value
        words = query.lower().split()
        for i in range(start, len(self.cache.rows)):
            if all(w in self.cache.rows[i].hay for w in words):
                self._matches.append(i)
        self._show(keep_cursor=True)

    @work(exclusive=True, group="picker-email", exit_on_error=False)
    async def _email_search(self, email: str) -> None:
        self._update_status(f"Searching {safe_line(email)} on the server…")
        try:
            client = await self._get_client()
            page = await client.list_candidates(integration_id=self.cache.integration_id, email=email)
        except KomboError as exc:
            self._update_status(f"✗ {safe_line(exc)}", "$error")
            return
        rows = self._server_rows_for(page.results)
        self._server_rows = rows
        self._apply_filter("")
        if not rows:
            self._update_status(f"No candidate with email {safe_line(email)} on the server")
        else:
            self.query_one("#apps", VirtualTable).focus()

    # ------------------------------------------------------------------ events

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._server_rows = None
        self._apply_filter(event.value)

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        """Enter takes the highlighted match (the first, unless the cursor moved), as fzf does."""
        event.stop()
        text = event.value.strip()
        if self._matches:
            self.dismiss(self._picked_at(self.query_one("#apps", VirtualTable).cursor))
        elif "@" in text:
            self._email_search(text)
        elif text:
            # Never the search text as an id behind the user's back (it may be a candidate's
            # name): F2 takes it on purpose.
            more = "" if self.cache.complete else ", ctrl+l loads every page"
            self._update_status(f"No loaded {self.KIND} matches: F2 uses the text as {'an' if self.KIND == 'application' else 'a'} {self.KIND} id{more}")

    @on(VirtualTable.Selected, "#apps")
    def _row_selected(self, event: VirtualTable.Selected) -> None:
        event.stop()
        picked = self._picked_at(event.index)
        if picked is not None:
            self.dismiss(picked)

    @on(VirtualTable.Highlighted, "#apps")
    def _row_highlighted(self, event: VirtualTable.Highlighted) -> None:
        event.stop()
        near_end = event.index >= len(self._matches) - LOAD_AHEAD
        if near_end and event.table.has_focus and self._server_rows is None and not self.cache.complete and not self._loading:
            self.load_next_page()

    def on_key(self, event: events.Key) -> None:
        """Typing while the table (or nothing yet) has focus goes on filtering (backspace
        edits the filter too): keys typed right after F3, before the filter took the focus,
        are kept."""
        table = self.query_one("#apps", VirtualTable)
        if not table.has_focus and self.focused is not None:
            return
        search = self.query_one("#filter", Input)
        if event.is_printable and event.character:
            search.insert_text_at_cursor(event.character)
        elif event.key == "backspace":
            search.action_delete_left()
        else:
            return
        event.stop()
        event.prevent_default()
        search.focus()

    # ------------------------------------------------------------------ actions

    def action_close(self) -> None:
        self.dismiss(None)

    def action_use_id(self) -> None:
        text = self.query_one("#filter", Input).value.strip()
        if text:
            self.dismiss(PickedApplication(id=text))
        else:
            self._update_status(f"Type or paste {'an' if self.KIND == 'application' else 'a'} {self.KIND} id first")

    def action_search_email(self) -> None:
        text = self.query_one("#filter", Input).value.strip()
        if "@" not in text:
            self._update_status("Type a full email address first (the server matches it exactly)")
            return
        self._email_search(text)

    def action_load_all(self) -> None:
        if not self.cache.complete:
            self.load_next_page(all_pages=True)

    def action_focus_table(self) -> None:
        self.query_one("#apps", VirtualTable).focus()


CANDIDATE_COLUMNS = (
    Column("Candidate", 20, 12),
    Column("Email", 26, 14),
    Column("Applied to", 24, 12),
    Column("Applications", 14, drop=2),
    Column("", 0, drop=9),  # a candidate has no outcome: the slot stays empty
    Column("Updated", 10, drop=3),
    Column("Candidate id", 18, 12, crop="middle"),
)
"""The candidate picker's columns, over the cells of :class:`Row` (see :func:`row_from_candidate`):
name, email, jobs and id always; the count of applications and the last activity as the
width allows."""


class CandidatePicker(ApplicationPicker):
    """A table of candidates (``GET /ats/candidates``): type to filter by name, email or job;
    F4 searches an email on the server; F2 takes the text as a candidate id.

    Returns the pick as a :class:`PickedApplication` whose ``id`` is the candidate's (the
    screen puts it in the candidate field; nothing switches to the application endpoint).
    """

    KIND = "candidate"
    COLUMNS = CANDIDATE_COLUMNS
    PLACEHOLDER = "filter by name, email or job · paste a candidate id and press F2 · F4 searches an email"
    BINDINGS = _picker_keys("candidate", "candidate-picker")

    async def _fetch_page(self, client: KomboClient, cursor: str | None) -> tuple[list[Row], str | None]:
        page = await client.list_candidates(integration_id=self.cache.integration_id, cursor=cursor, page_size=PAGE_SIZE)
        return [row_from_candidate(c) for c in page.results], page.next

    def _server_rows_for(self, candidates: Sequence[Candidate]) -> list[Row]:
        return [row_from_candidate(c) for c in candidates]
