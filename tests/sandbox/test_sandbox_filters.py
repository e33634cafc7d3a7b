"""List filters answer as Kombo's spec says for blank and malformed values.

Before: ``outcomes=``, ``statuses=``, ``outcome=``, ``ids=`` and friends answered 200 with no
results, and ``email=nope`` was compared like any text. Now the enum lists whose description
says "leave this blank to get results matching all values" treat blank as not given, and every
other blank or malformed value is ``PLATFORM.INPUT_INVALID`` naming the parameter.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sandbox_helpers import assert_error

from kombo_tui.sandbox.data import DEFAULT_INTEGRATION_ID, dataset


async def _ids(client: httpx.AsyncClient, path: str, **params: Any) -> list[str]:
    response = await client.get(path, params={"page_size": 250, **params})
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["data"]["results"]]


BLANK_MEANS_ALL = [
    ("/ats/applications", "outcomes"),
    ("/ats/jobs", "statuses"),
    ("/ats/jobs", "employment_types"),
    ("/ats/jobs", "visibilities"),
]


@pytest.mark.parametrize(("path", "param"), BLANK_MEANS_ALL)
@pytest.mark.parametrize("blank", ["", " ", ",", " , "])
async def test_blank_enum_list_means_all_values(
    client: httpx.AsyncClient, path: str, param: str, blank: str
) -> None:
    everything = await _ids(client, path)
    assert everything
    assert await _ids(client, path, **{param: blank}) == everything


BLANK_REFUSED = [
    ("/ats/applications", "outcome"),
    ("/ats/applications", "ids"),
    ("/ats/applications", "remote_ids"),
    ("/ats/applications", "job_ids"),
    ("/ats/applications", "job_remote_ids"),
    ("/ats/applications", "current_stage_ids"),
    ("/ats/applications", "include_deleted"),
    ("/ats/applications", "ignore_unsupported_filters"),
    ("/ats/applications", "updated_after"),
    ("/ats/applications", "remote_created_after"),
    ("/ats/applications", "page_size"),
    ("/ats/applications", "cursor"),
    ("/ats/candidates", "ids"),
    ("/ats/candidates", "remote_ids"),
    ("/ats/candidates", "job_ids"),
    ("/ats/candidates", "email"),
    ("/ats/jobs", "status"),
    ("/ats/jobs", "ids"),
    ("/ats/jobs", "remote_ids"),
    ("/ats/jobs", "job_codes"),
    ("/ats/jobs", "updated_after"),
]


@pytest.mark.parametrize(("path", "param"), BLANK_REFUSED)
@pytest.mark.parametrize("blank", ["", ","])
async def test_other_blank_filters_are_refused_naming_the_parameter(
    client: httpx.AsyncClient, path: str, param: str, blank: str
) -> None:
    response = await client.get(path, params={param: blank})
    error = assert_error(response, 400, "PLATFORM.INPUT_INVALID")
    assert error["message"].startswith(f"{param}: "), error["message"]


async def test_deprecated_single_enums_take_one_value(client: httpx.AsyncClient) -> None:
    hired = await _ids(client, "/ats/applications", outcomes="HIRED")
    assert hired and await _ids(client, "/ats/applications", outcome="HIRED") == hired
    assert await _ids(client, "/ats/applications", outcome=" HIRED ") == hired
    open_jobs = await _ids(client, "/ats/jobs", statuses="OPEN")
    assert open_jobs and await _ids(client, "/ats/jobs", status="OPEN") == open_jobs
    for path, param, value in (
        ("/ats/applications", "outcome", "HIRED,DECLINED"),
        ("/ats/applications", "outcome", "hired"),
        ("/ats/jobs", "status", "OPEN,CLOSED"),
        ("/ats/jobs", "status", "NOPE"),
    ):
        response = await client.get(path, params={param: value})
        error = assert_error(response, 400, "PLATFORM.INPUT_INVALID", in_message="must be one of")
        assert error["message"].startswith(f"{param}: ")


async def test_enum_lists_still_filter_and_refuse_unknown_values(
    client: httpx.AsyncClient,
) -> None:
    ds = dataset(DEFAULT_INTEGRATION_ID)
    both = await _ids(client, "/ats/applications", outcomes="HIRED,,DECLINED")
    assert both == [a.id for a in ds.live_applications if a.outcome in ("HIRED", "DECLINED")][:250]
    response = await client.get("/ats/jobs", params={"visibilities": "PUBLIC,SECRET"})
    assert_error(response, 400, "PLATFORM.INPUT_INVALID", in_message="visibilities: 'SECRET'")


VALID_EMAILS = [
    "nobody@example.com",
    "Jane.Doe+cv@Mail.Example.CO",
    "o'brien@example.ie",
    "x@localhost",
    "a-b_c!#$%&*/=?^`{|}~@sub-domain.example.com",
]

MALFORMED_EMAILS = [
    " ",
    "nope",
    "a@",
    "@example.com",
    "a@@example.com",
    "a b@example.com",
    "a..b@example.com",
    ".a@example.com",
    "a.@example.com",
    "a@-example.com",
    "a@example-.com",
    "a@example..com",
    "a@example.com.",
    "jäne@example.com",
    "jane@exämple.com",
    "a@example.com\n",
    "a@example.com ",
    " a@example.com",
    '"a b"@example.com',
    "a@[127.0.0.1]",
    "a\x00@example.com",
    "x" * 65 + "@example.com",
    "a@" + "b" * 64 + ".com",
    "a@" + ".".join(["b" * 60] * 5) + ".com",
]


@pytest.mark.parametrize("email", VALID_EMAILS)
async def test_email_filter_accepts_addresses(client: httpx.AsyncClient, email: str) -> None:
    assert await _ids(client, "/ats/candidates", email=email) == []


@pytest.mark.parametrize("email", MALFORMED_EMAILS, ids=repr)
async def test_email_filter_refuses_what_is_not_an_address(
    client: httpx.AsyncClient, email: str
) -> None:
    response = await client.get("/ats/candidates", params={"email": email})
    error = assert_error(response, 400, "PLATFORM.INPUT_INVALID", in_message="email address")
    assert error["message"].startswith("email: ")


async def test_email_filter_still_finds_the_candidate(client: httpx.AsyncClient) -> None:
    candidate = dataset(DEFAULT_INTEGRATION_ID).candidates[3]
    assert await _ids(client, "/ats/candidates", email=candidate.email.upper()) == [candidate.id]
