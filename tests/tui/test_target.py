"""The Target panel's application/candidate switch, what is already attached, and History's Replay."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from rich.console import Console
from textual.widgets import Input, Select, Static, TextArea

from kombo_tui.core.errors import ApiError
from kombo_tui.core.existing import AttachmentsCache, ExistingAttachment, ExistingAttachments
from kombo_tui.core.history import History, HistoryEntry
from kombo_tui.sandbox.data import dataset
from kombo_tui.tui import present, services
from kombo_tui.tui.app import KomboApp
from kombo_tui.tui.state import AttachmentsView
from kombo_tui.tui.text import plain

from .states import GREENHOUSE, SIZE, first_application, settle
from .test_flow import fill, main_screen, send
from .test_history import body_of, pick_first


def attachments_text(app: KomboApp) -> str:
    return str(main_screen(app).query_one("#target-attachments", Static).render())


def payload_text(app: KomboApp) -> str:
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(main_screen(app).query_one("#payload-body", Static).content)
    return console.export_text()


def first_candidate(integration_id: str) -> str:
    return dataset(integration_id).live_applications[0].candidate.id


# ---------------------------------------------------------------------- application / candidate


async def test_candidate_target_previews_sends_and_logs_the_candidate(
    files: Path, make_app: Callable[..., KomboApp]
) -> None:
    history = History(files / "h.sqlite3")
    candidate = first_candidate(GREENHOUSE)
    app = make_app(history=history)
    async with app.run_test(size=SIZE) as pilot:
        screen = await fill(pilot, GREENHOUSE, "APP-KEPT", "Jane_Doe_CV.pdf")
        await pilot.press("f2")
        await pilot.pause()
        assert screen.draft.target == "candidate"
        field = screen.query_one("#candidate", Input)
        assert field.display and screen.focused is field
        assert not screen.query_one("#application", Input).display
        assert screen.query_one("#target-kind", Select).value == "candidate"
        assert "Kombo recommends the application" in str(screen.query_one("#application-info", Static).render())
        field.value = candidate
        await settle(pilot)
        upload = screen.prepared
        assert upload is not None and upload.candidate_id == candidate and upload.application_id == ""
        assert f"/ats/candidates/{candidate}/attachments" in payload_text(app)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen.id == "confirm"
        assert "Candidate id" in body_of(app) and "Kombo recommends the application endpoint" in body_of(app)
        await pilot.press("enter")
        await settle(pilot)
        assert screen.result.kind == "sent"
        [stored] = app.sandbox_state.store.on_candidate(GREENHOUSE, candidate)[-1:]  # type: ignore[attr-defined]
        assert stored.application_id is None and stored.file_name == "Jane_Doe_CV.pdf"
        [entry] = history.entries()
        assert (entry.candidate_id, entry.application_id, entry.outcome) == (candidate, "", "sent")
        assert entry.file_path == str((files / "Jane_Doe_CV.pdf").absolute())
        # Switching back keeps the application id typed before.
        await pilot.press("f2")
        await settle(pilot)
        assert screen.draft.target == "application" and screen.prepared is not None
        assert screen.prepared.application_id == "APP-KEPT" and screen.prepared.candidate_id is None


async def test_candidate_target_refuses_oracle_fields(files: Path, make_app: Callable[..., KomboApp]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await fill(pilot, GREENHOUSE, "", "Jane_Doe_CV.pdf")
        screen.query_one("#raw-json", TextArea).text = '{"oracle": {"override_document_category": "IRC_CANDIDATE_RESUME"}}'
        await settle(pilot)
        assert not any("oracle" in p for p in screen.preview_problems)  # the application takes them
        await pilot.press("f2")
        screen.query_one("#candidate", Input).value = "C1"
        await settle(pilot)
        assert any(p.startswith("remote_fields.oracle") for p in screen.preview_problems)
        assert "not for candidates" in str(screen.query_one("#family-oracle").title)  # type: ignore[attr-defined]


async def test_picking_in_candidate_mode_picks_a_candidate_and_never_switches(
    files: Path, make_app: Callable[..., KomboApp]
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await fill(pilot, GREENHOUSE, "", "Jane_Doe_CV.pdf")
        await pilot.press("f2")
        screen.query_one("#candidate", Input).value = "C1"
        await settle(pilot)
        await pick_first(pilot)
        await settle(pilot)
        assert screen.draft.target == "candidate" and screen.picked is None
        chosen = screen.picked_candidate
        assert chosen is not None and screen.query_one("#candidate", Input).value == chosen.id != "C1"
        assert screen.query_one("#candidate", Input).display and not screen.query_one("#application", Input).display
        assert screen.prepared is not None and screen.prepared.candidate_id == chosen.id
        assert not screen.prepared.application_id


# ---------------------------------------------------------------------- what is already attached


async def test_attachments_listed_once_on_pick_marked_and_refreshed_after_send(
    files: Path, make_app: Callable[..., KomboApp]
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await fill(pilot, GREENHOUSE, "", "")
        await pick_first(pilot)
        await settle(pilot)
        view = screen.attachments_view
        assert view.state == "ready" and view.found is not None and view.found.items
        existing = view.found.items[0].name
        assert attachments_text(app).splitlines()[0].startswith(existing)
        assert "same name" not in attachments_text(app)
        cache = screen._attachments
        assert cache is not None and cache.fetches == 1
        # The file being sent has the same name: marked.
        (files / existing).write_bytes(b"%PDF-1.4\n% mine\n%%EOF\n")
        screen.query_one("#path", Input).value = existing
        await settle(pilot)
        assert f"⚠ {existing}" in attachments_text(app) and "same name as your file" in attachments_text(app)
        # Typing elsewhere asks nothing more.
        screen.query_one("#name", Input).value = "Other.pdf"
        await settle(pilot)
        assert "same name" not in attachments_text(app) and cache.fetches == 1
        screen.query_one("#name", Input).value = existing
        await settle(pilot)
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert screen.result.kind == "sent"
        # The send changed the application: listed again (one request), both copies marked.
        assert cache.fetches == 2
        assert len(screen.attachments_view.found.items) == 2  # type: ignore[union-attr]
        assert attachments_text(app).count(f"⚠ {existing}") == 2
        # So did Verify's look (it may have): listed again.
        await pilot.press("f5")
        await settle(pilot)
        assert screen.result.verification_found is True and cache.fetches == 3


async def test_typed_id_lists_on_f12_and_shows_errors_in_the_panel(
    files: Path, make_app: Callable[..., KomboApp]
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await fill(pilot, GREENHOUSE, "no-such-application", "Jane_Doe_CV.pdf")
        assert "F12 lists them" in attachments_text(app)
        assert screen._attachments is None  # nothing asked while typing
        await pilot.press("f12")
        await settle(pilot)
        assert screen.attachments_view.state == "error"
        assert "✗ could not list them" in attachments_text(app)
        screen.query_one("#application", Input).value = first_application(GREENHOUSE)
        await settle(pilot)
        assert screen.attachments_view.state == "idle"  # another target: not listed yet
        await pilot.press("f12")
        await settle(pilot)
        assert screen.attachments_view.state == "ready"


def test_attachments_lines_bound_many_and_keep_hostile_names_inert() -> None:
    hostile = "\x1b]52;c;ZXZpbA==\x07[b]x[/b]" + "A" * 500 + ".pdf"
    items = tuple(
        ExistingAttachment(id=str(n), name=f"file-{n}.pdf", type="OTHER", content_type=None, created="2025-03-01T10:00:00Z")
        for n in range(9)
    ) + (ExistingAttachment(id="h", name=hostile, type="CV\n", content_type=None, created="not a date \x1b[2J"),)
    found = ExistingAttachments(key=("g:1", "application", "A"), items=items, fetched_at=datetime.now(timezone.utc))
    lines = present.attachments_lines(AttachmentsView(found.key, "ready", found=found, name=hostile))
    text = plain(*lines)
    assert len(lines) == present.ATTACHMENTS_SHOWN + 1
    assert text.splitlines()[-1] == "+7 more · ⚠ same name as your file"
    assert text.splitlines()[0].startswith("⚠ \\x1b]52;c")  # the same-named one first, escaped
    assert "\x1b" not in text and "\x07" not in text and "\n" not in "".join(t for line in lines for t, _ in line)
    assert max(len(line) for line in text.splitlines()) < 80
    shown_day = datetime(2025, 3, 1, 10, tzinfo=timezone.utc).astimezone().strftime("%Y-%m-%d")
    assert shown_day in text  # the agent's own day (2025-03-02 east of UTC+14 - 10)
    assert present.attachments_lines(AttachmentsView()) == []
    unmarked = plain(*present.attachments_lines(AttachmentsView(found.key, "ready", found=found, name="mine.pdf")))
    assert unmarked.splitlines()[-1] == "+7 more · F12 refreshes" and "⚠" not in unmarked


async def test_list_attachments_service_turns_errors_into_the_view() -> None:
    class Failing:
        async def get_application_attachments(self, target: str, *, integration_id: str) -> list[object]:
            raise ApiError(status=503, code="PLATFORM.UNAVAILABLE", title="down", message="down for a moment")

    view = await services.list_attachments(AttachmentsCache(), Failing(), ("g:1", "application", "A"))  # type: ignore[arg-type]
    assert view.state == "error" and view.error and view.found is None


# ---------------------------------------------------------------------- replay


async def test_replay_restores_the_form_and_a_resend_asks_through_the_duplicate_check(
    files: Path, make_app: Callable[..., KomboApp]
) -> None:
    history = History(files / "h.sqlite3")
    app = make_app(history=history)
    async with app.run_test(size=SIZE) as pilot:
        screen = await fill(pilot, GREENHOUSE, "", "Jane_Doe_CV.pdf")
        await pick_first(pilot)
        picked = screen.picked
        assert picked is not None
        screen.query_one("#name", Input).value = "Jane Doe - CV.pdf"
        screen.query_one("#type", Select).value = "OTHER"
        screen.query_one("#content-type", Input).value = "text/plain"
        screen.query_one("#rf-greenhouse-post-headers-on-behalf-of", Input).value = "4080001"
        await settle(pilot)
        await send(pilot)
        assert screen.result.kind == "sent", (screen.result.code, screen.result.message)
        # The form is changed, then the send is replayed from the history.
        screen.query_one("#integration", Input).value = "lever:other"
        screen.query_one("#path", Input).value = "cover-letter.pdf"
        screen.query_one("#name", Input).value = "changed.pdf"
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        await pilot.press("ctrl+r")
        await settle(pilot, 0.2)
        assert app.screen is screen
        assert screen.query_one("#integration", Input).value == GREENHOUSE
        assert screen.query_one("#application", Input).value == picked.id
        assert screen.query_one("#path", Input).value == str((files / "Jane_Doe_CV.pdf").absolute())
        assert screen.query_one("#name", Input).value == "Jane Doe - CV.pdf"
        assert screen.query_one("#type", Select).value == "OTHER"
        assert screen.query_one("#content-type", Input).value == "text/plain"
        assert screen.picked is not None and screen.picked.candidate == picked.candidate
        assert screen.result.headline.startswith("Replay of Jane Doe - CV.pdf")
        upload = screen.prepared
        assert upload is not None and upload.file == (files / "Jane_Doe_CV.pdf").absolute()
        assert (upload.name, upload.type.value, upload.content_type) == ("Jane Doe - CV.pdf", "OTHER", "text/plain")
        assert upload.remote_fields == {"greenhouse": {"post_headers": {"On-Behalf-Of": "4080001"}}}
        # Sending it again goes through the confirm dialog, which says it was already sent.
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen.id == "confirm"
        assert "Already sent on" in body_of(app)
        assert app.screen.focused is not None and app.screen.focused.id == "choice-cancel"
        await pilot.press("enter")
        await settle(pilot)
        assert len(history.entries()) == 1


async def test_replay_of_a_candidate_send_from_another_environment_with_its_file_gone(
    files: Path, make_app: Callable[..., KomboApp]
) -> None:
    history = History(files / "h.sqlite3")
    history.record(
        HistoryEntry(environment="EU", integration_id=GREENHOUSE, application_id="", candidate_id="CAND-9",
                     file_name="gone.pdf", file_path=str(files / "gone.pdf"), type="CV", mime="application/pdf",
                     outcome="sent", sha256="ab" * 32)
    )
    app = make_app(history=history)
    async with app.run_test(size=SIZE) as pilot:
        screen = main_screen(app)
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        await pilot.press("ctrl+r")
        await settle(pilot, 0.8)  # a missing path is reported after the typing pause
        assert screen.draft.target == "candidate" and screen.draft.candidate_id == "CAND-9"
        assert screen.query_one("#candidate", Input).value == "CAND-9"
        assert screen.query_one("#target-kind", Select).value == "candidate"
        assert any("went to EU" in w and "SANDBOX" in w and "not switched" in w for w in screen.result.warnings)
        assert app.session.connection.environment.label == "SANDBOX"  # type: ignore[attr-defined]
        assert screen.file_view.state == "error" and "gone.pdf" in (screen.file_view.error or "")


async def test_replay_reads_the_file_again_even_when_its_path_is_already_in_the_form(
    files: Path, make_app: Callable[..., KomboApp]
) -> None:
    history = History(files / "h.sqlite3")
    app = make_app(history=history)
    async with app.run_test(size=SIZE) as pilot:
        path = str((files / "Jane_Doe_CV.pdf").absolute())
        screen = await fill(pilot, GREENHOUSE, first_application(GREENHOUSE), path)
        await send(pilot)
        assert screen.result.kind == "sent" and history.entries()[0].file_path == path
        (files / "Jane_Doe_CV.pdf").unlink()  # gone since it was sent
        await pilot.press("f9")
        await settle(pilot)
        await pilot.press("ctrl+r")
        await settle(pilot, 0.8)
        assert screen.query_one("#path", Input).value == path
        assert screen.file_view.state == "error" and screen.prepared is None


def test_replay_plan_of_a_row_without_a_path() -> None:
    entry = HistoryEntry(environment="SANDBOX", integration_id="g:1", application_id="A1", candidate="Ann",
                         job="Dev", file_name="cv.pdf", type="CV", outcome="sent")
    plan = services.replay_plan(entry, "SANDBOX")
    assert (plan.target, plan.target_id, plan.path) == ("application", "A1", "")
    assert plan.picked is not None and (plan.picked.candidate, plan.picked.job) == ("Ann", "Dev")
    assert any("path was not kept" in w for w in plan.warnings)
    assert not any("went to" in w for w in plan.warnings)

