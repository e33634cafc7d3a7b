"""The payload builder: validation by field, streamed body, exact Content-Length, previews."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kombo_tui.core.errors import FileChangedError, InputError
from kombo_tui.core.models import AttachmentRestrictions, AttachmentType
from kombo_tui.core.payload import Draft, base64_length, parse_remote_fields, prepare, restriction_warnings

SCHEMA = json.loads(
    (Path(__file__).parents[2] / "tests/data/add_application_attachment.request.json").read_text()
)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _draft(path: Path | None, **kw: object) -> Draft:
    base: dict[str, object] = {"integration_id": "greenhouse:x", "application_id": "APP1", "file": path}
    base.update(kw)
    return Draft(**base)  # type: ignore[arg-type]


@pytest.fixture
def pdf(tmp_path: Path) -> Path:
    path = tmp_path / "Jane Doe CV.pdf"
    path.write_bytes(PDF)
    return path


def test_body_is_valid_json_matching_the_schema(pdf: Path) -> None:
    upload = prepare(_draft(pdf))
    body = b"".join(upload.iter_body())
    doc = json.loads(body)
    jsonschema.validate(doc, SCHEMA)
    assert doc["attachment"]["name"] == "Jane Doe CV.pdf"
    assert doc["attachment"]["type"] == "CV"  # suggested from the name
    assert upload.type_suggested
    assert doc["attachment"]["content_type"] == "application/pdf"
    assert base64.b64decode(doc["attachment"]["data"]) == PDF
    assert len(body) == upload.content_length


def test_content_length_formula(pdf: Path) -> None:
    upload = prepare(_draft(pdf))
    assert base64_length(len(PDF)) == len(base64.b64encode(PDF))
    head, tail = upload._head_tail()
    assert upload.content_length == len(head) + 4 * ((len(PDF) + 2) // 3) + len(tail)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(min_size=1, max_size=5000), chunk=st.sampled_from([3, 6, 3 * 1024]))
def test_any_bytes_stream_into_base64_that_decodes_back(
    tmp_path: Path, data: bytes, chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    upload = prepare(_draft(path, content_type="application/octet-stream", type="OTHER"))
    upload.chunk_size = chunk
    body = b"".join(upload.iter_body())
    assert len(body) == upload.content_length
    doc = json.loads(body)
    assert base64.b64decode(doc["attachment"]["data"], validate=True) == data


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(min_size=1, max_size=300).filter(lambda s: s.strip()))
def test_any_file_name_yields_valid_json(pdf: Path, name: str) -> None:
    upload = prepare(_draft(pdf, name=name, type="CV"))
    body = b"".join(upload.iter_body())
    assert len(body) == upload.content_length
    doc = json.loads(body.decode("utf-8", errors="surrogatepass"))
    assert doc["attachment"]["name"] == name


def test_streamed_remote_fields_and_data_url_match_schema(pdf: Path) -> None:
    upload = prepare(
        _draft(
            pdf,
            remote_fields={"greenhouse": {"post_headers": {"On-Behalf-Of": "123"}}, "oracle": {"multi_post_to_all_current_applications": True}},
        )
    )
    doc = json.loads(b"".join(upload.iter_body()))
    jsonschema.validate(doc, SCHEMA)
    assert doc["remote_fields"]["greenhouse"]["post_headers"]["On-Behalf-Of"] == "123"
    by_url = prepare(_draft(None, data_url="https://files.example.com/cv.pdf", type="CV"))
    body = b"".join(by_url.iter_body())
    assert len(body) == by_url.content_length
    doc = json.loads(body)
    jsonschema.validate(doc, SCHEMA)
    assert doc["attachment"] == {"name": "cv.pdf", "type": "CV", "data_url": "https://files.example.com/cv.pdf"}


def test_preview_elides_data_to_size_and_sha256(pdf: Path) -> None:
    upload = prepare(_draft(pdf))
    preview = upload.preview()
    text = preview["attachment"]["data"]
    assert hashlib.sha256(PDF).hexdigest() in text
    assert f"{len(PDF):,} bytes" in text
    assert base64.b64encode(PDF).decode() not in json.dumps(preview)
    assert upload.preview(full=True)["attachment"]["data"] == base64.b64encode(PDF).decode()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"integration_id": ""}, "integration"),
        ({"application_id": "  "}, "application"),
        ({"type": "RESUME"}, "type"),
        ({"content_type": "pdf"}, "content_type"),
        ({"content_type": "application/pdf; charset=x"}, "content_type"),
        ({"data_url": "ftp://x/y.pdf"}, "file"),  # both given
        ({"file": None, "data_url": "ftp://x/y.pdf"}, "data_url"),
        ({"file": None, "data_url": "not a url"}, "data_url"),
        ({"file": None}, "file"),
        ({"name": "   "}, "name"),
        ({"remote_fields": {"oracle": {"override_document_category": "RESUME"}}}, "remote_fields.oracle.override_document_category"),
        ({"remote_fields": {"oracle": {"multi_post_to_all_current_applications": "yes"}}}, "remote_fields.oracle.multi_post_to_all_current_applications"),
        ({"remote_fields": {"workable": {"on_behalf_of_user_remote_id": 5}}}, "remote_fields.workable.on_behalf_of_user_remote_id"),
    ],
)
def test_every_problem_names_its_field(pdf: Path, kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InputError) as info:
        prepare(_draft(pdf, **kwargs))
    assert field in [p.field for p in info.value.problems], info.value.problems


def test_remote_fields_text_and_file(tmp_path: Path) -> None:
    assert parse_remote_fields('{"workable": {"on_behalf_of_user_remote_id": "u1"}}') == {
        "workable": {"on_behalf_of_user_remote_id": "u1"}
    }
    assert parse_remote_fields('{"greenhouse": {"post_headers": {"On-Behalf-Of": null}}}') == {
        "greenhouse": {"post_headers": {"On-Behalf-Of": None}}
    }
    # Other ATSs' fields pass through untouched.
    assert parse_remote_fields({"teamtailor": {"x": 1}}) == {"teamtailor": {"x": 1}}
    source = tmp_path / "rf.json"
    source.write_text('{"oracle": {"override_document_category": "MISC"}}')
    assert parse_remote_fields(f"@{source}") == {"oracle": {"override_document_category": "MISC"}}
    with pytest.raises(InputError, match="not valid JSON"):
        parse_remote_fields("{oops")
    with pytest.raises(InputError, match="JSON object"):
        parse_remote_fields("[1]")
    with pytest.raises(InputError, match="cannot read"):
        parse_remote_fields(f"@{tmp_path / 'missing.json'}")


def test_warnings_for_name_without_extension_and_generic_type(tmp_path: Path) -> None:
    path = tmp_path / "blob"
    path.write_bytes(b"".join(hashlib.sha256(bytes([i])).digest() for i in range(64)))
    upload = prepare(_draft(path, type="OTHER"))
    by_code = {w.code: w for w in upload.warnings}
    assert by_code["name_without_extension"].field == "name"
    assert "no extension" in by_code["name_without_extension"].message
    assert by_code["generic_mime"].field == "content_type"
    assert "generic" in str(by_code["generic_mime"])
    assert upload.describe()["warnings"] == [w.message for w in upload.warnings]


def test_non_utf8_file_name_becomes_replacement_chars(tmp_path: Path) -> None:
    path = tmp_path / b"cv-\xff\xfe.pdf".decode("utf-8", "surrogateescape")
    path.write_bytes(PDF)
    upload = prepare(_draft(path))
    doc = json.loads(b"".join(upload.iter_body()))
    assert doc["attachment"]["name"] == "cv-\ufffd\ufffd.pdf"


def test_file_that_changes_is_stopped_before_the_last_byte(pdf: Path) -> None:
    upload = prepare(_draft(pdf))
    pdf.write_bytes(PDF.replace(b"1.4", b"1.5"))  # same size, other content
    chunks: list[bytes] = []
    with pytest.raises(FileChangedError, match="changed"):
        for chunk in upload.iter_body():
            chunks.append(chunk)
    # the closing part of the body was never produced
    assert not b"".join(chunks).endswith(b"}")


@pytest.mark.parametrize(("new", "word"), [(PDF + b"more", "grew"), (PDF[:10], "shrank")])
def test_file_that_grows_or_shrinks_is_stopped(pdf: Path, new: bytes, word: str) -> None:
    upload = prepare(_draft(pdf))
    pdf.write_bytes(new)
    with pytest.raises(FileChangedError, match=word):
        b"".join(upload.iter_body())


def test_restriction_warnings(pdf: Path) -> None:
    upload = prepare(_draft(pdf, type="CV"))
    limits = AttachmentRestrictions.model_validate(
        {
            "types": {
                "CV": {"is_supported": True, "max_file_size_bytes": 10, "accepted_mime_types": ["image/png"]},
                "COVER_LETTER": {"is_supported": False},
                "OTHER": {"is_supported": True, "max_file_size_bytes": None, "accepted_mime_types": None},
            }
        }
    )
    notices = restriction_warnings(upload, limits)
    assert [(n.field, n.code) for n in notices] == [("file", "too_large"), ("content_type", "mime_not_accepted")]
    text = " ".join(map(str, notices))
    assert "above this integration's limit of 10 bytes" in text
    assert "application/pdf is not among" in text
    cover = prepare(_draft(pdf, type="COVER_LETTER"))
    (refusal,) = restriction_warnings(cover, limits)
    assert refusal.code == "type_not_accepted"
    assert "does not accept attachments of type COVER_LETTER" in refusal.message
    other = prepare(_draft(pdf, type="OTHER"))
    assert restriction_warnings(other, limits) == []
    assert restriction_warnings(other, None) == []
    assert upload.type is AttachmentType.CV


def test_sniffed_type_outside_kombos_pattern_is_a_problem(tmp_path: Path) -> None:
    svg = tmp_path / "logo.svg"
    svg.write_text('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"></svg>')
    with pytest.raises(InputError) as info:
        prepare(_draft(svg, type="OTHER"))
    assert [p.field for p in info.value.problems] == ["content_type"]
    assert "image/svg+xml" in info.value.problems[0].message
    assert prepare(_draft(svg, type="OTHER", content_type="image/svg")).content_type == "image/svg"


def test_connector_oracle_choices_match_the_model() -> None:
    from kombo_tui.core.connectors import ORACLE_CATEGORIES
    from kombo_tui.core.models import OracleCategory

    assert ORACLE_CATEGORIES == tuple(c.value for c in OracleCategory)


def test_every_notice_code_is_declared(tmp_path: Path, pdf: Path) -> None:
    from kombo_tui.core.errors import NOTICE_CODES

    blob = tmp_path / "blob"
    blob.write_bytes(b"".join(hashlib.sha256(bytes([i])).digest() for i in range(64)))
    upload = prepare(_draft(blob, type="OTHER", name="x" * 300))
    limits = AttachmentRestrictions.model_validate(
        {"types": {"OTHER": {"is_supported": True, "max_file_size_bytes": 1, "accepted_mime_types": ["image/png"]}}}
    )
    codes = {w.code for w in [*upload.warnings, *restriction_warnings(upload, limits)]}
    assert codes >= {"name_without_extension", "name_too_long", "generic_mime", "too_large", "mime_not_accepted"}
    assert codes <= NOTICE_CODES


def test_rtf_cv_meets_a_limit_that_lists_rtf_under_either_spelling(tmp_path: Path) -> None:
    """Regression: an RTF CV sniffed as text/rtf was refused by limits listing application/rtf."""
    path = tmp_path / "cv.rtf"
    path.write_bytes(b"{\\rtf1\\ansi Jane Doe}\n")
    upload = prepare(_draft(path, type="CV"))
    assert upload.content_type == "application/rtf"
    for spelling in ("application/rtf", "text/rtf"):
        limits = AttachmentRestrictions.model_validate(
            {"types": {"CV": {"is_supported": True, "max_file_size_bytes": None, "accepted_mime_types": [spelling]}}}
        )
        assert restriction_warnings(upload, limits) == []
    typed = prepare(_draft(path, type="CV", content_type="text/rtf"))
    assert restriction_warnings(typed, limits) == []


def test_a_draft_can_target_a_candidate(pdf: Path) -> None:
    upload = prepare(_draft(pdf, application_id=None, candidate_id="CAND 1"))
    assert (upload.target_kind, upload.target_id, upload.application_id) == ("candidate", "CAND 1", "")
    assert upload.endpoint_path() == "ats/candidates/CAND%201/attachments"
    with pytest.raises(InputError) as both:
        prepare(_draft(pdf, candidate_id="CAND1"))
    assert [p.field for p in both.value.problems] == ["candidate"]
    oracle = {"oracle": {"override_document_category": "IRC_CANDIDATE_RESUME"}}
    with pytest.raises(InputError) as no_oracle:
        prepare(_draft(pdf, application_id=None, candidate_id="CAND1", remote_fields=oracle))
    assert [p.field for p in no_oracle.value.problems] == ["remote_fields.oracle"]
    assert prepare(_draft(pdf, remote_fields=oracle)).remote_fields == oracle  # the application takes them


def test_a_draft_is_taken_from_a_plan_row_or_a_journal_spec_by_its_field_names(pdf: Path) -> None:
    from types import SimpleNamespace

    spec = {"integration_id": "greenhouse:x", "application_id": "A1", "file": str(pdf), "type": "CV", "number": 7}
    from_mapping = Draft.taken_from(spec)
    from_object = Draft.taken_from(SimpleNamespace(**spec))
    assert from_mapping == from_object == Draft(integration_id="greenhouse:x", application_id="A1", file=pdf, type="CV")
    assert Draft.taken_from(spec, file=None, data_url="https://x.test/cv.pdf").file is None  # changes win
    with pytest.raises(InputError) as refused:
        Draft.taken_from({"name": 5})
    assert [p.field for p in refused.value.problems] == ["name"]
