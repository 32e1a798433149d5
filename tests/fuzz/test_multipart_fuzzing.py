"""hypothesis sends any request body to every route of a running ``sqlflow-magic serve``: multipart parts with
any names, values, filenames, content types and bytes (zips among them), escaped as browsers do or not, the
same fields urlencoded or in the query string, and bodies that are not multipart at all; with Alice's
token, without one, or with a made-up one. The answer is always the documented success or JSON error shape,
never a server error, within the time limit, and the server stays up with no exception in its output.
"""

from __future__ import annotations

import io
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import yaml
from hypothesis import event, given
from hypothesis import strategies as st

from tests.fuzz.conftest import Served
from tests.support.fuzzing import REQUEST_TIMEOUT, answer_problem, fuzz_settings
from tests.support.users import ALICE

pytestmark = pytest.mark.fuzz

DESCRIPTION = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
CREDENTIALS = ("userId", "token", "secretKey")


def fields_of_routes() -> dict[str, list[str]]:
    """Each route of ``docs/openapi.yaml`` with the multipart fields it documents, credentials aside."""
    description = yaml.safe_load(DESCRIPTION.read_text(encoding="utf-8"))
    components = description["components"]
    found = {}
    for path, item in description["paths"].items():
        body = item["post"]["requestBody"]
        if "$ref" in body:
            body = components["requestBodies"][body["$ref"].rsplit("/", 1)[1]]
        schema = components["schemas"][body["content"]["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[1]]
        found[path] = [name for name in schema["properties"] if name not in CREDENTIALS] + ["aFieldNoRouteReads"]
    return found


ROUTES = fields_of_routes()
#: Values near each field's accepted form: its edge cases, look-alikes (other scripts' digits, line breaks).
NEAR = {
    "dbvendor": ["dbvoracle", "DBVMSSQL", "mssql", "dbv", " dbvhive ", "dbvoracle\n"],
    "jobId": ["0123456789abcdef0123456789abcdef", "0123456789ABCDEF0123456789ABCDEF", "0" * 33, "../x"],
    "port": ["5432", "0", "65535", "65536", "-1", " 80 ", "\u00b2", "\u0661\u0662", "1e3", "0x50", "\uff18\uff10"],
    "cronExpression": ["0 1 * * *", "61 * * * *", "* * * * * *", "0 0 31 2 *", "@daily", "*/0 * * * *",
                       "0 0 * * 99999999999999999999", "L W # ? H", "0 1 * * MON-FRI"],
    "showRelationType": ["fdd,fdr", "FDD", ",", "fdd,,join", "fdd,a\nb", "\u00e9"],
    "delimiter": ["\\t", "tab", ";", "", '"', "\n", ",,", "\u00e9"],
}
BOOLEANS = ("incremental", "firstSubmit", "schedulable", "onTop", "ignoreRecordSet", "ignoreFunction", "tableToTable")
ANY_VALUE = st.one_of(st.text(max_size=40), st.sampled_from(["true", "False", "", " ", "select a from t;"]))


def value_for(name: str) -> st.SearchStrategy[str]:
    near = ["true", "false", "TRUE", "yes", "1", "t\u0131rue"] if name in BOOLEANS else NEAR.get(name, [])
    return st.one_of(st.sampled_from(near), st.sampled_from(near), ANY_VALUE) if near else ANY_VALUE


SQL_BYTES = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=200).map(lambda text: text.encode("utf-8", "surrogatepass")),
    st.sampled_from([b"select a from t;", b"insert into t2 (a) select x from t1;\n" * 3, b"\xef\xbb\xbfselect 1;",
                     b"\xff\xfe\x00s\x00e\x00l", b""]),
)


#: What most requests start from, so that the routes go past their first checks (the drawn parts follow it,
#: and a repeated name takes the last value).
BASE = [("dbvendor", None, "", b"dbvoracle"), ("sqltext", None, "", b"select a from t;"),
        ("sql", None, "", b"select a from t;"), ("sqlfiles", "a.sql", "", b"insert into t2 select a from t1;")]


@st.composite
def zips(draw: st.DrawFn) -> bytes:
    """A zip archive whose members have any names (``..``, absolute, empty, unicode) and any bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for _ in range(draw(st.integers(0, 4))):
            anything = st.text(min_size=1, max_size=20).filter(lambda n: not n.startswith("\x00"))  # zipfile: no name
            name = draw(st.one_of(anything, st.sampled_from(
                ["../up.sql", "/abs.sql", "a/b/c.sql", "dir/", "x.zip", "\u00e9t\u00e9.sql"])))
            with warnings.catch_warnings():  # a duplicate name is one of the cases
                warnings.simplefilter("ignore", UserWarning)
                archive.writestr(name.encode("utf-8", "replace").decode("utf-8"), draw(SQL_BYTES))
    body = buffer.getvalue()
    return body[: draw(st.integers(0, len(body)))] if draw(st.booleans()) else body  # maybe cut short


def header_text(text: str, escaped: bool) -> bytes:
    """A name or filename as a multipart header holds it: escaped as browsers do, or raw (quotes, line breaks)."""
    if escaped:
        text = text.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
    return text.encode("utf-8", "surrogatepass")


@st.composite
def parts(draw: st.DrawFn, fields: list[str]) -> list[tuple[str, str | None, str, bytes]]:
    """Multipart parts, mostly of the route's ``fields``: (name, filename or None, content type, bytes)."""
    found = []
    for _ in range(draw(st.integers(0, 6))):
        name = draw(st.one_of(st.sampled_from(fields), st.sampled_from(fields), st.text(max_size=10)))
        if draw(st.booleans()):  # a file part
            filename = draw(st.one_of(st.text(max_size=20), st.sampled_from(
                ["a.sql", "b.zip", "", "../../etc/passwd", "x\x00.sql", "c.SQL", "a" * 300 + ".sql"])))
            content = draw(st.one_of(SQL_BYTES, zips()))
            found.append((name, filename, draw(st.sampled_from(["application/sql", "application/zip", "",
                                                                 "text/plain; charset=latin-1"])), content))
        else:
            found.append((name, None, "", draw(value_for(name)).encode("utf-8", "surrogatepass")))
    return found


def multipart(found: list[tuple[str, str | None, str, bytes]], boundary: str, escaped: bool) -> bytes:
    body = b""
    for name, filename, content_type, content in found:
        disposition = b'Content-Disposition: form-data; name="' + header_text(name, escaped) + b'"'
        if filename is not None:
            disposition += b'; filename="' + header_text(filename, escaped) + b'"'
        body += f"--{boundary}\r\n".encode() + disposition + b"\r\n"
        if content_type:
            body += f"Content-Type: {content_type}\r\n".encode()
        body += b"\r\n" + content + b"\r\n"
    return body + f"--{boundary}--\r\n".encode()


@st.composite
def requests(draw: st.DrawFn, token: str) -> dict[str, Any]:
    """The keyword arguments of one ``httpx.post``: a route, credentials, and a body of one kind or another."""
    valid = {"userId": ALICE, "token": token}
    wrong = [{}, {"userId": ALICE}, {"userId": ALICE, "token": token[:-2] + "xx"}]
    credentials = draw(st.sampled_from([valid] * 8 + wrong))
    found = [(name, None, "", value.encode()) for name, value in credentials.items()]
    if draw(st.integers(0, 3)):  # mostly: the drawn parts change a valid request, as they follow it
        found += BASE
    route = draw(st.sampled_from(sorted(ROUTES)))
    found += draw(parts(ROUTES[route]))
    headers: dict[str, str | bytes] = {}
    if draw(st.booleans()):
        headers["authorization"] = draw(st.sampled_from([f"Token {token}", f"Bearer {token}", "Token", "Basic x",
                                                         "Bearer \u00e9"])).encode("utf-8")
    kind = draw(st.sampled_from(["multipart", "multipart", "multipart", "urlencoded", "query", "raw"]))
    fields = [(name, content.decode("utf-8", "replace")) for name, filename, _, content in found if filename is None]
    request: dict[str, Any] = {"url": route, "headers": headers}
    if kind == "multipart":
        boundary = draw(st.sampled_from(["b0undary", "x" * 70, "----WebKitFormBoundary7MA4YWxkTrZu0gW", "a b"]))
        headers["content-type"] = f"multipart/form-data; boundary={boundary}"
        request["content"] = multipart(found, boundary, escaped=draw(st.booleans()))
    elif kind == "urlencoded":
        headers["content-type"] = "application/x-www-form-urlencoded"
        request["content"] = urlencode(fields).encode()
    elif kind == "query":
        request["params"] = fields
    else:
        headers["content-type"] = draw(st.sampled_from(["multipart/form-data", "multipart/form-data; boundary=",
                                                        "application/json", "text/plain", "application/octet-stream",
                                                        "application/x-www-form-urlencoded; charset=utf-16"]))
        request["content"] = draw(st.binary(max_size=500))
    return request


@pytest.fixture(scope="module")
def client(served: Served) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served.url, timeout=REQUEST_TIMEOUT) as client:
        yield client


@given(data=st.data())
@fuzz_settings(1000)
def test_any_body_to_any_route_gets_a_documented_answer(served: Served, client: httpx.Client, data):
    response = client.post(**data.draw(requests(served.token), label="request"))
    event(f"HTTP {response.status_code} {response.text[:20] if response.status_code == 200 else ''}")
    problem = answer_problem(response.status_code, response.headers.get("content-type", ""), response.content)
    assert problem is None, problem
    trouble = served.trouble()
    assert trouble is None, trouble
