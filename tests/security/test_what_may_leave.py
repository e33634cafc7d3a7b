"""Only files the user chose may leave: a plan's rows stay in its folder unless allowed, places
that hold keys are refused in every door, and a name that disguises the content is warned about."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import kombo_tui as kt
from kombo_tui.cli import main
from kombo_tui.cli.diagnostics import ExitCode
from kombo_tui.core.payload import prepare_fields
from kombo_tui.sandbox.data import DEFAULT_INTEGRATION_ID, SANDBOX_API_KEY, dataset
from kombo_tui.sandbox.server import SandboxServer

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<<>>\n%%EOF\n"
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"


def _apps(n: int) -> list[str]:
    return [a.id for a in dataset(DEFAULT_INTEGRATION_ID).live_applications[:n]]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home directory with the places a careless plan could point at."""
    home = tmp_path / "home"
    for place, name in ((".ssh", "id_rsa"), (".aws", "credentials"), (".gnupg", "secring.gpg")):
        (home / place).mkdir(parents=True)
        (home / place / name).write_bytes(PDF)  # even a PDF there is never a CV
    monkeypatch.setenv("HOME", str(home))
    return home


def test_places_that_hold_keys_are_refused_in_every_door(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "work"
    folder.mkdir()
    for name in (".env", "server.pem", "tls.KEY"):
        (folder / name).write_bytes(PDF)
    (folder / "innocent.pdf").symlink_to(home / ".ssh" / "id_rsa")
    places = [home / ".ssh" / "id_rsa", home / ".aws" / "credentials", home / ".gnupg" / "secring.gpg",
              folder / ".env", folder / "server.pem", folder / "tls.KEY", folder / "innocent.pdf"]
    for path in places:
        with pytest.raises(kt.InputError, match="kombo-tui never uploads it"):
            prepare_fields(integration_id="g:1", application_id="APP1", file=path, name="Resume.pdf")
    code = main(["send", str(folder / "innocent.pdf"), "--sandbox", "--integration", DEFAULT_INTEGRATION_ID,
                 "--application", "APP1", "--name", "Resume.pdf", "--dry-run"])
    assert code == ExitCode.BAD_INPUT and "inside ~/.ssh" in capsys.readouterr().err
    # A folder whose name merely starts like one of those places is not inside it.
    (home / ".sshfiles").mkdir()
    (home / ".sshfiles" / "cv.pdf").write_bytes(PDF)
    assert prepare_fields(integration_id="g:1", application_id="APP1", file=home / ".sshfiles" / "cv.pdf").name == "cv.pdf"


def test_plan_rows_outside_its_folder_are_listed_and_refused_unless_allowed(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "plans"
    folder.mkdir()
    (folder / "cv.pdf").write_bytes(PDF)
    (tmp_path / "elsewhere.pdf").write_bytes(PDF)
    (folder / "link.pdf").symlink_to(tmp_path / "elsewhere.pdf")
    a, b, c, d = _apps(4)
    plan = folder / "plan.csv"
    plan.write_text(
        "application_id,file,type,name\n"
        f"{a},cv.pdf,CV,cv.pdf\n"
        f"{b},../elsewhere.pdf,CV,one.pdf\n"
        f"{c},{tmp_path / 'elsewhere.pdf'},CV,two.pdf\n"
        f"{d},link.pdf,CV,three.pdf\n"
    )
    assert main(["bulk", str(plan), "--sandbox", "--dry-run"]) == ExitCode.BAD_INPUT
    said = capsys.readouterr().err
    for why in ("a path with .. in it", "an absolute path elsewhere", "a link out of the folder"):
        assert why in said
    assert "--allow-outside" in said
    with SandboxServer() as server:
        base = dict(api_key=SANDBOX_API_KEY, base_url=server.base_url, integration_id=DEFAULT_INTEGRATION_ID)
        refused = kt.bulk(plan, **base)
        assert refused.blocked and server.sandbox.store.upload_count() == 0
        allowed = kt.bulk(plan, allow_outside=True, **base)
        assert allowed.exit_code == 0 and server.sandbox.store.upload_count() == 4


def test_a_row_naming_a_key_is_refused_even_when_outside_files_are_allowed(home: Path, tmp_path: Path) -> None:
    plan = tmp_path / "plan.csv"
    plan.write_text(f"application_id,file,type,name\n{_apps(1)[0]},{home / '.aws' / 'credentials'},CV,Resume.pdf\n")
    with SandboxServer() as server:
        report = kt.bulk(plan, api_key=SANDBOX_API_KEY, base_url=server.base_url, integration_id=DEFAULT_INTEGRATION_ID,
                         allow_outside=True, skip_invalid=True)
        [row] = report.rows()
        assert row.status == "invalid" and "inside ~/.aws" in (row.message or "")
        assert server.sandbox.store.upload_count() == 0


def test_a_name_that_contradicts_the_content_is_a_warning(tmp_path: Path) -> None:
    image = tmp_path / "photo.gif"
    image.write_bytes(GIF)
    upload = prepare_fields(integration_id="g:1", application_id="APP1", file=image, name="Resume.pdf")
    [notice] = [n for n in upload.warnings if n.code == "name_contradicts_content"]
    assert "Resume.pdf" in notice.message and "pdf" in notice.message and "image/gif" in notice.message
    honest = prepare_fields(integration_id="g:1", application_id="APP1", file=image, name="Photo.gif")
    assert not [n for n in honest.warnings if n.code == "name_contradicts_content"]


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('application_id,file,type,name\nA1,cv.pdf,CV,"one.pdf\nA2,cv.pdf,CV,two.pdf\nA3,cv.pdf,CV,"three.pdf\n',
         "runs over several lines"),
        ("application_id,file,name,name\nA1,cv.pdf,one.pdf,two.pdf\n", "columns appear twice in the header: name"),
        ("application_id,file,name\nA1,cv.pdf," + "x" * 200_000 + "\n", "is not a CSV plan this tool reads"),
    ],
)
def test_a_loose_csv_plan_is_refused_whole_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, said: str
) -> None:
    (tmp_path / "cv.pdf").write_bytes(PDF)
    plan = tmp_path / "plan.csv"
    plan.write_text(text)
    assert main(["bulk", str(plan), "--sandbox", "--integration", DEFAULT_INTEGRATION_ID]) == ExitCode.BAD_INPUT
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err


def test_control_characters_in_a_plan_row_make_it_invalid(tmp_path: Path) -> None:
    (tmp_path / "cv.pdf").write_bytes(PDF)
    a, b = _apps(2)
    plan = tmp_path / "plan.jsonl"
    plan.write_text(
        json.dumps({"application_id": a, "file": "cv.pdf", "name": "cv\x1b[2J.pdf"}) + "\n"
        + json.dumps({"application_id": b, "file": "cv.pdf", "name": "nul\x00.pdf"}) + "\n"
    )
    with SandboxServer() as server:
        report = kt.bulk(plan, api_key=SANDBOX_API_KEY, base_url=server.base_url, integration_id=DEFAULT_INTEGRATION_ID)
        assert report.blocked and server.sandbox.store.upload_count() == 0
    assert report.check.invalid == 2


def test_the_library_says_where_requests_go_once_per_destination_before_the_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import kombo_tui as kt
    from kombo_tui.core import api
    from kombo_tui.sandbox.data import DEFAULT_INTEGRATION_ID, SANDBOX_API_KEY
    from kombo_tui.sandbox.server import SandboxServer

    monkeypatch.setattr(api, "_ANNOUNCED", set())
    cv = tmp_path / "cv.pdf"
    cv.write_bytes(b"%PDF-1.4\n%%EOF\n")
    with SandboxServer() as server:
        where = dict(integration_id=DEFAULT_INTEGRATION_ID, base_url=server.base_url, api_key=SANDBOX_API_KEY)
        app = kt.list_applications(DEFAULT_INTEGRATION_ID, base_url=server.base_url, api_key=SANDBOX_API_KEY, limit=1)[0].id
        said = capsys.readouterr().err
        host = server.base_url.split("/")[2]
        assert said == f"kombo-tui: requests go to {server.base_url} ({host}), key from argument\n"
        assert SANDBOX_API_KEY not in said
        assert kt.send(cv, application_id=app, **where).status == "sent"
        assert capsys.readouterr().err == ""  # the same destination: said once
