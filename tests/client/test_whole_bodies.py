"""A submit's multipart body is encoded whole and handed to the connection in one piece (one socket write
rather than one per field's header, value and line end) up to 64 KiB of SQL; past that it is sent in
pieces, so that a big upload is never held twice in memory. Observed at the transport, which sees the body
as the socket would."""

from __future__ import annotations

import json

import httpx
import pytest

from sqlflow_magic.client import SQLFlowClient
from sqlflow_magic.client.models import SubmitRequest, UploadFile
from sqlflow_magic.client.settings import ClientSettings
from tests.support.fault_server import JOB

pytestmark = pytest.mark.unit


def pieces_of_a_submit(sql: bytes) -> tuple[int, bytes]:
    """How many pieces the submit's body reached the transport in, and the body."""
    seen: list[list[bytes]] = []

    class Wire(httpx.BaseTransport):
        """Takes the body as a connection does: piece by piece, each piece one socket write."""

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            seen.append(list(request.stream))
            answer = json.dumps({"code": 200, "data": JOB}).encode()
            return httpx.Response(200, headers={"content-type": "application/json"}, stream=httpx.ByteStream(answer))

    with SQLFlowClient(ClientSettings("http://sqlflow.test:8165"), transport=Wire()) as client:
        client.submit_persist_job(SubmitRequest("dbvmssql", (UploadFile("cell.sql", sql),)))
    return len(seen[-1]), b"".join(seen[-1])


def test_a_one_kilobyte_cell_goes_in_one_piece_with_every_field():
    count, body = pieces_of_a_submit(b"select 1;\n" * 100)
    assert count == 1
    assert b'name="dbvendor"\r\n\r\ndbvmssql\r\n' in body and b"select 1;\n" * 100 in body


def test_a_cell_past_64_kib_goes_in_pieces():
    count, body = pieces_of_a_submit(b"select 1;\n" * 7000)
    assert count > 1 and b"select 1;\n" * 7000 in body
