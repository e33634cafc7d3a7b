"""Bounded JSON: deep or huge documents are refused with a message, never a RecursionError."""

from __future__ import annotations

import pytest

from kombo_tui.core.errors import InputError
from kombo_tui.core.jsonload import json_depth, load_json


@pytest.mark.parametrize(
    ("text", "depth"),
    [("1", 0), ("[]", 1), ('{"a": [1, {"b": 2}]}', 3), ('["[[[[", "]"]', 1), ('{"a\\"[": 1}', 1)],
)
def test_depth_ignores_brackets_inside_strings(text: str, depth: int) -> None:
    assert json_depth(text) == depth


@pytest.mark.parametrize("depth", [33, 900, 100_000])
def test_deep_json_is_refused_by_name(depth: int) -> None:
    with pytest.raises(InputError) as caught:
        load_json("[" * depth + "]" * depth, field="remote_fields")
    (problem,) = caught.value.problems
    assert problem.field == "remote_fields" and f"nests {depth} levels" in problem.message


def test_large_json_is_refused_before_parsing() -> None:
    with pytest.raises(InputError, match="bytes of JSON; the limit is 1,024"):
        load_json('"' + "x" * 2000 + '"', field="manifest", max_bytes=1024)


def test_bad_json_names_the_place() -> None:
    with pytest.raises(InputError, match="line 1 column 9"):
        load_json('{"a": 1,}', field="remote_fields")
    with pytest.raises(InputError, match="not UTF-8"):
        load_json(b'{"a": "\xff"}', field="manifest")


def test_good_json_parses() -> None:
    assert load_json('{"greenhouse": {"post_headers": {"On-Behalf-Of": "42"}}}', field="x") == {
        "greenhouse": {"post_headers": {"On-Behalf-Of": "42"}}
    }
