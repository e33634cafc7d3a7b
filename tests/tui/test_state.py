"""The screen's plain draft mirrors the core's Draft field for field (it exists so the screen
can keep a draft before pydantic is imported)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from kombo_tui.core.payload import Draft
from kombo_tui.tui.state import DraftView


def test_the_one_draft_type_takes_a_path_as_text_and_refuses_the_wrong_kind() -> None:
    from kombo_tui.core.errors import InputError

    assert Draft(file="cv.pdf").file == Path("cv.pdf")  # type: ignore[arg-type]
    assert Draft(name="a.pdf").updated(name="b.pdf") == Draft(name="b.pdf")
    for wrong, field in (({"name": 3}, "name"), ({"file": 3}, "file"), ({"remote_fields": [1]}, "remote_fields")):
        with pytest.raises(InputError) as caught:
            Draft(**wrong)  # type: ignore[arg-type]
        assert [p.field for p in caught.value.problems] == [field]
    # The view's fields are the draft's (named once, in the core) and its own two.
    assert [f.name for f in dataclasses.fields(DraftView)] == [*Draft().fields(), "source", "target"]


def test_draft_view_converts_every_field() -> None:
    view = DraftView(
        integration_id="greenhouse:x",
        application_id="APP1",
        file=Path("cv.pdf"),
        name="cv.pdf",
        type="CV",
        content_type="application/pdf",
        remote_fields={"greenhouse": {"post_headers": {"On-Behalf-Of": "42"}}},
    )
    draft = view.to_core()
    assert {"source": "data", "target": "application", **dataclasses.asdict(draft)} == dataclasses.asdict(view)
    assert type(draft) is Draft and isinstance(view, Draft)  # the view derives from the one draft type
    assert view.updated(name="b.pdf").to_core().name == "b.pdf"


def test_draft_view_sends_to_the_target_it_says_and_keeps_both_ids() -> None:
    view = DraftView(integration_id="g:1", application_id="APP1", candidate_id="C1")
    assert (view.to_core().application_id, view.to_core().candidate_id) == ("APP1", None)
    assert view.target_key() == ("g:1", "application", "APP1")
    to_candidate = view.updated(target="candidate")
    assert (to_candidate.to_core().application_id, to_candidate.to_core().candidate_id) == (None, "C1")
    assert to_candidate.target_key() == ("g:1", "candidate", "C1")
    assert to_candidate.updated(target="application").to_core().application_id == "APP1"
    assert DraftView(application_id="APP1").target_key() is None  # no integration yet


def test_draft_view_sends_what_its_source_says_and_keeps_both() -> None:
    view = DraftView(file=Path("cv.pdf"), data_url="https://files.example.com/cv.pdf")
    assert (view.to_core().file, view.to_core().data_url) == (Path("cv.pdf"), None)
    by_url = view.updated(source="data_url")
    assert (by_url.to_core().file, by_url.to_core().data_url) == (None, "https://files.example.com/cv.pdf")
    assert by_url.updated(source="data").to_core().file == Path("cv.pdf")
