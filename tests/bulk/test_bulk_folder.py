"""A plan from a folder of files named after emails or application ids (core, in-process sandbox)."""

from __future__ import annotations

import asyncio
import csv
import os
import stat
from pathlib import Path

import httpx
import pytest

from kombo_tui.cli import main
from kombo_tui.core.bulk import check_plan
from kombo_tui.core.bulk.folder import FolderPlan, default_plan_path, parse_name, plan_from_folder, scan_folder
from kombo_tui.core.client import KomboClient
from kombo_tui.sandbox.app import SandboxConfig, create_app
from kombo_tui.sandbox.data import DEFAULT_INTEGRATION_ID, SANDBOX_API_KEY, dataset

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<<>>\n%%EOF\n"


def _people() -> tuple[str, str, str, str]:
    """(email with one application, its application, email with two applications, a plain application id)."""
    data = dataset(DEFAULT_INTEGRATION_ID)
    by_candidate: dict[str, list[str]] = {}
    emails: dict[str, str] = {}
    for app in data.applications:
        by_candidate.setdefault(app.candidate.id, []).append(app.id)
        emails[app.candidate.id] = app.candidate.email
    single = next(c for c, apps in by_candidate.items() if len(apps) == 1 and all(
        a.deleted is None for a in data.applications if a.candidate.id == c))
    double = next(c for c, apps in by_candidate.items() if len(apps) == 2)
    plain = next(a.id for a in data.live_applications if a.candidate.id not in (single, double))
    return emails[single], by_candidate[single][0], emails[double], plain


def _client() -> KomboClient:
    transport = httpx.ASGITransport(app=create_app(SandboxConfig()))
    return KomboClient(SANDBOX_API_KEY, base_url="http://sandbox.test/v1", transport=transport)


def _build(folder: Path, plan: Path) -> FolderPlan:
    async def go() -> FolderPlan:
        async with _client() as client:
            return await plan_from_folder(folder, client, integration_id=DEFAULT_INTEGRATION_ID, plan_path=plan)

    return asyncio.run(go())


def test_parse_name_follows_the_folder_rule() -> None:
    assert parse_name("Jane.Doe@Example.com.pdf") == ("email", "Jane.Doe@Example.com", None)
    assert parse_name("jane@example.com - CV Jane Doe.pdf") == ("email", "jane@example.com", "CV Jane Doe.pdf")
    assert parse_name("52khNyyy2cvhDsPwMip4mk1K.docx") == ("application_id", "52khNyyy2cvhDsPwMip4mk1K", None)
    # Without an extension the last dot part is taken as one: the "email" is then incomplete.
    assert "not one" in str(parse_name("jane@example.com"))
    assert "neither" in str(parse_name("my cv.pdf"))
    assert "neither" in str(parse_name("x" * 200 + ".pdf"))
    assert "not one" in str(parse_name("a" * 250 + "@example.com.pdf"))
    assert "control" in str(parse_name("jane@example.com\x1b[2J.pdf"))
    assert "control" in str(parse_name("jane@example.com\u202e.pdf"))
    assert "UTF-8" in str(parse_name("jane\udcff@example.com.pdf"))
    assert "nothing usable" in str(parse_name("jane@example.com - .pdf"))
    assert "no email" in str(parse_name(".pdf")) or "neither" in str(parse_name(".pdf"))


def test_a_folder_becomes_a_plan_and_ambiguous_or_unknown_names_are_problems_never_guesses(tmp_path: Path) -> None:
    single, single_app, double, plain = _people()
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / f"{single.upper()}.pdf").write_bytes(PDF)  # emails match case-insensitively
    (folder / f"{single} - Cover letter.pdf").write_bytes(PDF.replace(b"Catalog", b"Catalog/Lang(en)"))
    (folder / f"{double}.pdf").write_bytes(PDF)
    (folder / "nobody@nowhere.example.pdf").write_bytes(PDF)
    (folder / f"{plain}.pdf").write_bytes(PDF)
    (folder / "NoSuchApplication1234.pdf").write_bytes(PDF)
    (folder / ".DS_Store").write_bytes(b"junk")
    (folder / "sub").mkdir()
    plan = tmp_path / "plan.csv"
    built = _build(folder, plan)
    assert built.rows == 3 and built.skipped == 2 and built.plan == plan
    problems = {p.name: p.reason for p in built.problems}
    assert set(problems) == {f"{double}.pdf", "nobody@nowhere.example.pdf", "NoSuchApplication1234.pdf"}
    assert "exactly 2 applications" in problems[f"{double}.pdf"] and "application id instead" in problems[f"{double}.pdf"]
    assert "no candidate" in problems["nobody@nowhere.example.pdf"]
    assert "no application NoSuchApplication1234" in problems["NoSuchApplication1234.pdf"]
    assert built.left_out is not None and built.left_out.parent == plan.parent
    listed = list(csv.DictReader(built.left_out.open(encoding="utf-8")))
    assert {r["file"] for r in listed} == set(problems) and all(r["problem"] for r in listed)
    rows = list(csv.DictReader(plan.open(encoding="utf-8")))
    assert [(r["application_id"], Path(r["file"]).name, r["name"]) for r in rows] == sorted(
        [(single_app, f"{single.upper()}.pdf", ""), (single_app, f"{single} - Cover letter.pdf", "Cover letter.pdf"),
         (plain, f"{plain}.pdf", "")], key=lambda r: r[1])
    assert all(r["integration_id"] == DEFAULT_INTEGRATION_ID for r in rows)
    assert stat.S_IMODE(plan.stat().st_mode) == 0o600
    # The plan goes through the one checker: every row valid.
    async def check() -> list[bool]:
        return [c.valid async for c in check_plan(plan, facts=None, history=None, environment="SANDBOX")]
    assert asyncio.run(check()) == [True, True, True]
    # The same folder gives the same plan, byte for byte (so the same job: a rerun resumes).
    first = plan.read_bytes()
    _build(folder, plan)
    assert plan.read_bytes() == first
    # Once every file is fixed (or removed), the list of files left out goes away.
    for name in problems:
        (folder / name).unlink()
    assert _build(folder, plan).left_out is None and not (tmp_path / "plan-left-out.csv").exists()


class _LooseFilter(httpx.AsyncBaseTransport):
    """A server that ignores the candidates listing's ``email`` filter (answers with everyone)."""

    def __init__(self) -> None:
        self.inner = httpx.ASGITransport(app=create_app(SandboxConfig()))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/ats/candidates") and "email" in request.url.params:
            params = [(k, v) for k, v in request.url.params.multi_items() if k != "email"]
            request = httpx.Request(request.method, request.url.copy_with(params=params), headers=request.headers)
        return await self.inner.handle_async_request(request)


def test_only_candidates_with_exactly_that_email_count_whatever_the_server_matches(tmp_path: Path) -> None:
    single, single_app, _, _ = _people()
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / f"{single}.pdf").write_bytes(PDF)
    (folder / "jane.nobody@nowhere.example.pdf").write_bytes(PDF)

    async def go() -> FolderPlan:
        client = KomboClient(SANDBOX_API_KEY, base_url="http://sandbox.test/v1", transport=_LooseFilter())
        async with client:
            return await plan_from_folder(folder, client, integration_id=DEFAULT_INTEGRATION_ID, plan_path=tmp_path / "p.csv")

    built = asyncio.run(go())
    rows = list(csv.DictReader((tmp_path / "p.csv").open(encoding="utf-8")))
    assert [(r["application_id"], Path(r["file"]).name) for r in rows] == [(single_app, f"{single}.pdf")]
    [problem] = built.problems
    assert problem.name == "jane.nobody@nowhere.example.pdf" and "other addresses came back, left out" in problem.reason


def test_hostile_entries_are_problems_and_links_out_of_the_folder_are_not_followed(tmp_path: Path) -> None:
    single, single_app, _double, _plain = _people()
    folder = tmp_path / "files"
    folder.mkdir()
    outside = tmp_path / "secret.pdf"
    outside.write_bytes(PDF)
    (folder / f"{single}.pdf").symlink_to(outside)
    (folder / "dangling@example.com.pdf").symlink_to(tmp_path / "gone.pdf")
    (folder / "real.pdf").write_bytes(PDF)
    (folder / f"{single} - link.pdf").symlink_to(folder / "real.pdf")  # inside the folder: followed
    (folder / "evil\x1b]52;c;ZXZpbA==\x07@x.com.pdf").write_bytes(PDF)
    (folder / "new\nline@example.com.pdf").write_bytes(PDF)
    os.mkfifo(folder / "pipe@example.com.pdf")
    (folder / ("z" * 240 + ".pdf")).write_bytes(PDF)
    raw = os.fsencode(folder) + b"/bad\xff@example.com.pdf"
    with open(raw, "wb") as handle:
        handle.write(PDF)
    entries = [e for e in scan_folder(folder) if e is not None]
    assert len(entries) == 9
    built = _build(folder, tmp_path / "plan.csv")
    reasons = {p.name: p.reason for p in built.problems}
    assert "out of the folder" in reasons[f"{single}.pdf"]
    assert "leads nowhere" in reasons["dangling@example.com.pdf"]
    assert "not a regular file" in reasons["pipe@example.com.pdf"]
    assert "control" in reasons["evil\x1b]52;c;ZXZpbA==\x07@x.com.pdf"]
    assert "control" in reasons["new\nline@example.com.pdf"]
    assert "UTF-8" in reasons[os.fsdecode(b"bad\xff@example.com.pdf")]
    assert built.left_out is not None
    assert "\x1b" not in built.left_out.read_text(encoding="utf-8") and "\\x1b]52" in built.left_out.read_text(encoding="utf-8")
    assert "neither" in reasons["z" * 240 + ".pdf"]
    # Shown names are inert: no control character reaches a terminal.
    assert all(c.isprintable() for p in built.problems for c in str(p))
    rows = list(csv.DictReader((tmp_path / "plan.csv").open(encoding="utf-8")))
    assert [(r["application_id"], r["name"]) for r in rows] == [(single_app, "link.pdf")]


def test_the_default_plan_lives_beside_the_journal_one_per_folder_and_integration(tmp_path: Path) -> None:
    a = default_plan_path(tmp_path / "Migration 2025 ☃", "gh:1")
    assert a.parent.name == "bulk-plans" and a.name.startswith("Migration-2025-") and a.suffix == ".csv"
    assert default_plan_path(tmp_path / "Migration 2025 ☃", "gh:2") != a


def test_a_folder_that_is_missing_or_a_file_is_refused(tmp_path: Path) -> None:
    from kombo_tui.core.errors import InputError

    with pytest.raises(InputError):
        list(scan_folder(tmp_path / "missing"))
    (tmp_path / "f").write_text("x")
    with pytest.raises(InputError):
        list(scan_folder(tmp_path / "f"))


def test_the_cli_builds_the_plan_from_a_folder_and_unmatched_files_block_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    single, _single_app, double, _plain = _people()
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / f"{single}.pdf").write_bytes(PDF)
    (folder / f"{double}.pdf").write_bytes(PDF)
    args = ["bulk", "--from-folder", str(folder), "--sandbox", "--integration", DEFAULT_INTEGRATION_ID]
    assert main([*args, "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert f"{double}.pdf: {double} has exactly 2 applications" in err
    assert main(args) == 2
    assert "nothing was sent" in capsys.readouterr().err
    # The rest is sent, but a run that left files out never exits 0 (nor says ok).
    assert main([*args, "--skip-invalid", "--json"]) == 2
    import json

    doc = json.loads(capsys.readouterr().out)
    assert doc["counts"] == {"sent": 1}
    assert doc["ok"] is False and doc["exit_code"] == 2 and doc["files_left_out"] == 1
    assert main([*args, "--skip-invalid"]) == 2
    assert "1 of the folder's files were left out, not sent" in capsys.readouterr().err
    assert main(["bulk", "--sandbox"]) == 2  # neither a plan nor a folder
    assert "PLAN file or --from-folder DIR" in capsys.readouterr().err
