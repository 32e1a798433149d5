"""Tokens and who may call what."""

from __future__ import annotations

import time

import jwt
import pytest

from sqlflow_magic.protocol import ON_PREMISE_USER_ID
from sqlflow_magic.server import EmbeddedServer, ServerConfig
from sqlflow_magic.server.tokens import issue_token
from tests.support.server_api import Api
from tests.support.users import ALICE, ALICE_SECRET, BOB, BOB_SECRET

pytestmark = pytest.mark.server

SUMMARY = "/sqlflow/job/displayUserJobsSummary"


@pytest.mark.parametrize("prefix", ["/gspLive_backend", "/api/gspLive_backend"])
def test_token_is_issued_under_both_prefixes_with_a_string_code(api: Api, prefix: str) -> None:
    answer = api.post(f"{prefix}/user/generateToken", data={"userId": ALICE, "secretKey": ALICE_SECRET})
    assert answer["code"] == "200"
    assert answer["token"].count(".") == 2
    jobs = api.post(f"{prefix}{SUMMARY}", data={"userId": ALICE, "token": answer["token"]})
    assert jobs["code"] == 200
    assert jobs["data"]["total"] == 0


@pytest.mark.parametrize(
    "fields",
    [
        {"userId": ALICE, "secretKey": BOB_SECRET},
        {"userId": ALICE},
        {"userId": "nobody@example.com", "secretKey": ALICE_SECRET},
        {"secretKey": ALICE_SECRET},
    ],
)
def test_a_token_needs_the_right_user_and_secret(shared_api: Api, fields: dict[str, str]) -> None:
    answer = shared_api.post("/gspLive_backend/user/generateToken", data=fields)
    assert answer["code"] == 401
    assert answer["error"]
    assert "token" not in answer


def test_token_call_accepts_query_parameters(api: Api) -> None:
    answer = api.post("/api/gspLive_backend/user/generateToken", params={"userId": BOB, "secretKey": BOB_SECRET})
    assert answer["code"] == "200"


def test_job_calls_need_a_token(api: Api) -> None:
    answer = api.post(f"/gspLive_backend{SUMMARY}", data={"userId": ALICE})
    assert answer["code"] == 403
    assert answer["error"].startswith("token is invalid or expired")


@pytest.mark.parametrize("fields", [{}, {"userId": ""}])
def test_job_calls_need_a_user_id(shared_api: Api, fields: dict[str, str]) -> None:
    answer = shared_api.post(f"/gspLive_backend{SUMMARY}", data=fields)
    assert answer["code"] == 401
    assert "userId is required" in answer["error"]


def test_answers_never_tell_whether_a_user_exists(shared_api: Api) -> None:
    """An unknown user and a known one get the same answer, to a token call and to every other call."""
    alices = shared_api.token()
    answers = [shared_api.post(f"/gspLive_backend{SUMMARY}", data=refused) for refused in (
        {"userId": "mallory@example.com", "token": alices},
        {"userId": "mallory@example.com"},
        {"userId": ALICE},
        {"userId": ALICE, "token": "garbage"},
        {"userId": BOB, "token": alices},
    )]
    token_answers = [shared_api.post("/gspLive_backend/user/generateToken", data=refused) for refused in (
        {"userId": "mallory@example.com", "secretKey": ALICE_SECRET},
        {"userId": ALICE, "secretKey": BOB_SECRET},
        {"userId": ALICE, "token": alices},
        {"userId": "mallory@example.com", "token": alices},
    )]
    assert answers == [answers[0]] * len(answers)
    assert answers[0]["code"] == 403 and "call /user/generateToken" in answers[0]["error"]
    assert token_answers == [token_answers[0]] * len(token_answers)
    assert token_answers[0]["code"] == 401 and "secretKey" in token_answers[0]["error"]


def test_a_forged_or_foreign_token_is_refused(api: Api, server_config: ServerConfig) -> None:
    forged = issue_token("not-the-server-key-but-long-enough-for-hs256", ALICE, 3600)
    assert api.post(f"/gspLive_backend{SUMMARY}", data={"userId": ALICE, "token": forged})["code"] == 403
    bobs = api.token(BOB, BOB_SECRET)
    assert api.post(f"/gspLive_backend{SUMMARY}", data={"userId": ALICE, "token": bobs})["code"] == 403
    assert api.post(f"/gspLive_backend{SUMMARY}", data={"userId": ALICE, "token": "garbage"})["code"] == 403


def test_token_in_header_or_query(api: Api) -> None:
    token = api.token()
    by_header = api.post(
        f"/gspLive_backend{SUMMARY}", data={"userId": ALICE}, headers={"Authorization": f"Token {token}"}
    )
    assert by_header["code"] == 200
    by_query = api.post(f"/api/gspLive_backend{SUMMARY}", params={"userId": ALICE, "token": token})
    assert by_query["code"] == 200


def test_an_expired_token_is_refused(server_config: ServerConfig) -> None:
    server_config.token_ttl_seconds = 1
    with EmbeddedServer(server_config) as server:
        api = Api(server.base_url)
        token = api.token()
        assert api.post(f"/gspLive_backend{SUMMARY}", data={"userId": ALICE, "token": token})["code"] == 200
        expires = jwt.decode(token, options={"verify_signature": False})["exp"]
        time.sleep(max(0.0, expires - time.time()) + 0.05)
        answer = api.post(f"/gspLive_backend{SUMMARY}", data={"userId": ALICE, "token": token})
        assert answer["code"] == 403
        assert "expired" in answer["error"]


@pytest.mark.parametrize("token", [None, "token"])
def test_the_onprem_user_needs_no_token(shared_api: Api, token: str | None) -> None:
    api = shared_api
    fields = {"userId": ON_PREMISE_USER_ID, "dbvendor": "dbvmysql", **({"token": token} if token else {})}
    submitted = api.post("/gspLive_backend/sqlflow/job/submitPersistJob", data=fields, files=[("a.sql", b"select 1")])
    assert submitted["code"] == 200
    assert submitted["data"]["userId"] == ON_PREMISE_USER_ID
    jobs = api.post(f"/gspLive_backend{SUMMARY}", data={k: v for k, v in fields.items() if k != "dbvendor"})
    assert submitted["data"]["jobId"] in jobs["data"]["jobIds"]


def test_the_onprem_user_can_be_disabled(server_config: ServerConfig) -> None:
    server_config.allow_onprem_user = False
    with EmbeddedServer(server_config) as server:
        answer = Api(server.base_url).post(f"/gspLive_backend{SUMMARY}", data={"userId": ON_PREMISE_USER_ID})
    assert answer["code"] == 401
    assert "allow-onprem-user" in answer["error"]
