"""Scrubbing: each secret in each encoded form, each credential pattern, short secrets by pattern only, and
ordinary text left alone (``sqlflow_magic/client/scrubbing.py``). ``redact`` is the one-text form of a
``Scrubber``."""

from __future__ import annotations

import base64
import html
import json
import pickle
import re
from urllib.parse import quote, quote_plus, urlencode

import pytest

from sqlflow_magic.client.secrets import MASK, Secret, redact

pytestmark = pytest.mark.unit

KEY = "s3cr+t/Kéy=\"<&>'"  # every encoding changes it
SPACED = "Quartz pw 8812"


def lower_hex(text: str) -> str:
    return re.sub("%[0-9A-F]{2}", lambda m: m.group().lower(), text)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


# --- by value, in every form ----------------------------------------------------------------------


def test_raw():
    assert redact(f"bad key {KEY} given", [Secret(KEY)]) == f"bad key {MASK} given"


def test_url_encoded_with_upper_and_lower_case_hex():
    assert redact(f"key={quote(KEY, safe='')}", [KEY]) == f"key={MASK}"
    assert redact(f"key={lower_hex(quote(KEY, safe=''))}", [KEY]) == f"key={MASK}"
    assert redact(f"/path/{quote(KEY)}/x", [KEY]) == f"/path/{MASK}/x"


def test_form_encoded_body_echoed():
    assert redact(urlencode({"userId": "u", "secretKey": KEY}), [KEY]) == f"userId=u&secretKey={MASK}"
    assert redact(f"pw {quote_plus(SPACED)} end", [SPACED]) == f"pw {MASK} end"
    assert redact(f"pw {lower_hex(quote_plus(KEY))} end", [KEY]) == f"pw {MASK} end"


def test_json_escaped_with_and_without_ascii_escapes():
    assert redact(json.dumps({"echo": KEY}), [KEY]) == json.dumps({"echo": "@"}).replace("@", MASK)
    assert redact(json.dumps({"echo": KEY}, ensure_ascii=False), [KEY]) == '{"echo": "' + MASK + '"}'


def test_json_escaped_slashes_upper_case_escapes_and_javas_html_safe_escapes():
    assert redact('"s3cr+t\\/K\\u00E9y=\\"<&>\'"', [KEY]) == f'"{MASK}"'
    assert redact('"s3cr+t/K\\u00e9y\\u003d\\"\\u003c\\u0026\\u003e\\u0027"', [KEY]) == f'"{MASK}"'


def test_html_escaped_in_each_quoting():
    assert redact(f"<td>{html.escape(KEY)}</td>", [KEY]) == f"<td>{MASK}</td>"
    assert redact(f"<td>{html.escape(KEY, quote=False)}</td>", [KEY]) == f"<td>{MASK}</td>"
    assert redact(f"<td>{html.escape(KEY).replace('&#x27;', '&#39;')}</td>", [KEY]) == f"<td>{MASK}</td>"


@pytest.mark.parametrize("offset", [0, 1, 2, 3, 4, 5])
def test_base64_at_every_offset_masks_the_whole_blob(offset):
    blob = b64(b"x" * offset + b"secretKey=" + KEY.encode() + b"&userId=alice")
    assert redact(f"echo: {blob} (end)", [KEY]) == f"echo: {MASK} (end)"


@pytest.mark.parametrize("offset", [0, 1, 2])
def test_base64url_at_every_offset(offset):
    assert redact(f"echo {b64url(b'y' * offset + KEY.encode() + b'!')}.", [KEY]) == f"echo {MASK}."


@pytest.mark.parametrize("offset", [0, 1, 2])
def test_base64_of_the_form_encoded_body(offset):
    body = urlencode({"userId": "alice", "secretKey": KEY, "token": "t"}).encode()
    assert redact(b64(b"z" * offset + body), [KEY]) == MASK


def test_a_secret_at_the_very_start_or_end_of_a_blob():
    assert redact(b64(KEY.encode()), [KEY]) == MASK
    assert redact(f"[{b64(b'ab' + KEY.encode())}]", [KEY]) == f"[{MASK}]"


def test_every_occurrence_and_every_secret():
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl"
    assert redact(f"{KEY} {token} {quote(KEY, safe='')} {token}", [KEY, Secret(token), None]) == " ".join([MASK] * 4)


# --- by pattern, whatever the length ----------------------------------------------------------------


@pytest.mark.parametrize(("shown", "scrubbed"), [
    ("jdbc:oracle:thin:scott/pw5@db:1521:orcl refused", "jdbc:oracle:thin:scott/********@db:1521:orcl refused"),
    ("jdbc:oracle:thin:scott/pw5@//db:1521/svc", "jdbc:oracle:thin:scott/********@//db:1521/svc"),
    ("sqlplus scott/tiger@orcl", "sqlplus scott/********@orcl"),
    ("ORA-12154 in: CONNECT scott/tiger@orcl;", "ORA-12154 in: CONNECT scott/********@orcl;"),
    ("postgresql://svc:pw5@db:5432/x", "postgresql://svc:********@db:5432/x"),
    ("connect to scott:tiger@dbhost failed", "connect to scott:********@dbhost failed"),
    ("https://svc:p:w@host/", "https://svc:********@host/"),
    ("jdbc:sqlserver://db;user=sa;password=pw5;encrypt=true", "jdbc:sqlserver://db;user=sa;password=********;encrypt=true"),
    ("userId=alice&secretKey=k1&token=t1", "userId=alice&secretKey=********&token=********"),
    ("Server=db;Uid=sa;Pwd=pw5;", "Server=db;Uid=sa;Pwd=********;"),
    ("{user=sa, password=pw5}", "{user=sa, password=********}"),
    ("password='a b'", "password='********'"),
    ('{"password": "pw\\"5", "user": "sa"}', '{"password": "********", "user": "sa"}'),
    ('{\\"password\\":\\"pw5\\"}', '{\\"password\\":\\"********\\"}'),
    ("{'db_password': 'pw5'}", "{'db_password': '********'}"),
    ('{"password": 12345}', '{"password": ********}'),
    ("&quot;password&quot;: &quot;pw5&quot;", "&quot;password&quot;: &quot;********&quot;"),
    ('form-data; name="password"\r\n\r\npw5\r\n--b', 'form-data; name="password"\r\n\r\n********\r\n--b'),
    ("Authorization: Basic c3ZjOnB3NQ==", "Authorization: Basic ********"),
    ("headers {'authorization': 'Bearer abc'}", "headers {'authorization': 'Bearer ********'}"),
    ("sent Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig0123", "sent Bearer ********"),
])
def test_credentials_shown_as_credentials_are_masked_by_pattern(shown, scrubbed):
    assert redact(shown, []) == scrubbed


def test_short_secrets_are_masked_by_pattern_only():
    assert redact("jdbc:oracle:thin:scott/tiger@db failed", ["tiger"]) == "jdbc:oracle:thin:scott/********@db failed"
    assert redact("table tiger_stats and tiger", ["tiger"]) == "table tiger_stats and tiger"
    assert redact("select 12345 from t", [Secret("12345")]) == "select 12345 from t"


# --- ordinary text stays as it is ---------------------------------------------------------------------


@pytest.mark.parametrize("ordinary", [
    "syntax error, unexpected token: FROM near line 3, column 7",
    'FATAL: password authentication failed for user "scott"',
    "authorization failed: token is invalid or expired, log in again",
    "Reading the job's status at http://127.0.0.1:8165/api/gspLive_backend: no such job",
    "user alice@example.com has 3 jobs; mail mailto:alice@example.com",
    "git@github.com:org/repo.git and npm @types/node@1.0",
    "write to sales/support@example.com or Support/Team@example.com",
    "select * from emp@remote_db where a/b > 2 and t = '12:30'",
    "the job ran from 10:20:30 to 10:21:00 (see docs/security.md)",
    "where passwords_table.owner = 1 and token_count > 3",
    "data:image/svg+xml;base64," + b64(b"<svg>" + bytes(range(256)) + b"</svg>"),
])
def test_ordinary_text_is_left_alone(ordinary):
    assert redact(ordinary, [KEY, "eyJhbGciOiJIUzI1NiJ9.e30.sig", "tiger"]) == ordinary


# --- the Scrubber: built once, used everywhere ---------------------------------------------------------


def test_a_scrubber_scrubs_json_like_data_keys_included_and_hands_clean_data_back_untouched():
    from sqlflow_magic.client.scrubbing import Scrubber

    scrub = Scrubber([KEY])
    job = {"errorMessage": f"bad {quote_plus(KEY)}", "errors": [{"errorMessage": b64(KEY.encode()), "x": 1}],
           KEY: "key"}
    assert scrub.data(job) == {"errorMessage": f"bad {MASK}", "errors": [{"errorMessage": MASK, "x": 1}], MASK: "key"}
    clean = {"jobId": "c359", "errors": [{"errorMessage": "syntax error"}]}
    assert scrub.data(clean) is clean


def test_a_scrubber_never_shows_its_secrets():
    from sqlflow_magic.client.scrubbing import Scrubber

    scrub = Scrubber([KEY, "tiger"])
    assert "s3cr" not in repr(scrub) and "tiger" not in repr(scrub)
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(scrub)


def test_the_credentials_of_a_url_are_secrets_raw_and_percent_decoded():
    from sqlflow_magic.client.scrubbing import url_credentials

    assert url_credentials("https://svc:p%40ss@host/api") == ["svc", "p%40ss", "svc", "p@ss"]
    assert url_credentials("http://host:8165/api") == []
