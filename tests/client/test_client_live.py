"""The client against the real local server over loopback: tokens, submits, summaries, exports' checks."""

from __future__ import annotations

import pytest

from sqlflow_magic.client import SQLFlowClient
from sqlflow_magic.client.errors import AuthenticationError, JobNotFoundError, TokenExpiredError
from sqlflow_magic.client.models import SubmitRequest, UploadFile
from sqlflow_magic.client.settings import ClientSettings
from tests.support.recording import RecordingTransport
from tests.support.users import ALICE, ALICE_SECRET, BOB, BOB_SECRET

pytestmark = pytest.mark.server


def client_for(server, user=ALICE, secret=ALICE_SECRET, token=None):
    transport = RecordingTransport()
    settings = ClientSettings(server.url, user_id=user, secret_key=secret, token=token)
    return SQLFlowClient(settings, transport=transport), transport


def sql(text, name="cell.sql"):
    return UploadFile.from_text(text, name)


def test_token_is_fetched_once_and_cached(local_server):
    client, wire = client_for(local_server)
    job = client.submit_persist_job(SubmitRequest("dbvmssql", (sql("select 1"),)))
    client.job_summary(job.job_id)
    client.job_summary(job.job_id)
    assert wire.paths() == ["generateToken", "submitPersistJob", "displayUserJobSummary", "displayUserJobSummary"]


def test_first_submit_then_incremental(local_server):
    client, wire = client_for(local_server)
    first = client.submit_persist_job(SubmitRequest("dbvoracle", (sql("select a from t"),), job_name="j1"))
    assert len(first.job_id) == 32 and first.status == "create" and first.file_names == ("cell.sql",)
    first_form = wire.requests[-1].content
    assert b'name="firstSubmit"\r\n\r\ntrue' in first_form
    assert b'name="jobId"' not in first_form and b'name="incremental"' not in first_form
    second = client.submit_persist_job(
        SubmitRequest("dbvoracle", (sql("insert into u select a from t", "more.sql"),), job_id=first.job_id))
    form = wire.requests[-1].content
    assert f'name="jobId"\r\n\r\n{first.job_id}'.encode() in form
    assert b'name="incremental"\r\n\r\ntrue' in form and b'name="firstSubmit"\r\n\r\nfalse' in form
    assert second.job_id == first.job_id
    assert second.file_names == ("cell.sql", "more.sql")


def test_multipart_carries_every_field_and_the_exact_bytes(local_server):
    client, wire = client_for(local_server)
    text = "select ünïcödé, 'GO' from t -- 注释\n"
    request = SubmitRequest(
        "dbvsnowflake", (sql(text, "mine.sql"),), job_name="full", default_database="DB", default_schema="SCH",
        hostname="db.example", port=5432, database="warehouse", account="reader", schedulable=True,
        cron_expression="0 1 * * *", on_top=True, sqlsource="notebook", extra="free text")
    client.submit_persist_job(request)
    sent = wire.requests[-1]
    body = sent.content
    for name, value in [("dbvendor", "dbvsnowflake"), ("jobName", "full"), ("defaultDatabase", "DB"),
                        ("defaultSchema", "SCH"), ("hostname", "db.example"), ("port", "5432"),
                        ("database", "warehouse"), ("account", "reader"), ("schedulable", "true"),
                        ("cronExpression", "0 1 * * *"), ("onTop", "true"), ("sqlsource", "notebook"),
                        ("extra", "free text"), ("userId", ALICE)]:
        assert f'name="{name}"\r\n\r\n{value}\r\n'.encode() in body, name
    assert b'name="sqlfiles"; filename="mine.sql"' in body
    assert text.encode("utf-8") in body
    assert sent.headers["user-agent"].startswith("sqlflow-magic/")


def test_token_renewed_once_on_403(local_server):
    client, wire = client_for(local_server, token="not-a-valid-jwt")
    job = client.submit_persist_job(SubmitRequest("dbvmssql", (sql("select 1"),)))
    assert wire.paths() == ["submitPersistJob", "generateToken", "submitPersistJob"]
    assert client.job_summary(job.job_id).job_id == job.job_id


def test_a_given_token_without_secret_key_is_not_renewed(local_server):
    client, wire = client_for(local_server, secret=None, token="not-a-valid-jwt")
    with pytest.raises(TokenExpiredError) as caught:
        client.job_summary("0" * 32)
    assert "not-a-valid-jwt" not in str(caught.value)
    assert wire.paths() == ["displayUserJobSummary"]


def test_wrong_secret_key_is_an_authentication_error(local_server):
    client, _ = client_for(local_server, secret="wrong-secret-key")
    with pytest.raises(AuthenticationError) as caught:
        client.job_summary("0" * 32)
    assert "wrong-secret-key" not in str(caught.value)
    assert "SQLFLOW_SECRET_KEY" in str(caught.value)


def test_another_users_job_is_not_found(local_server):
    alice, _ = client_for(local_server)
    bob, _ = client_for(local_server, BOB, BOB_SECRET)
    job = alice.submit_persist_job(SubmitRequest("dbvmssql", (sql("select 1"),)))
    with pytest.raises(JobNotFoundError):
        bob.job_summary(job.job_id)


def test_onprem_user_sends_the_literal_token(local_server):
    client, wire = client_for(local_server, user="gudu|0123456789", secret=None)
    job = client.submit_persist_job(SubmitRequest("dbvmysql", (sql("select 1"),)))
    assert wire.paths() == ["submitPersistJob"]
    assert b'name="token"\r\n\r\ntoken\r\n' in wire.requests[0].content
    assert client.job_summary(job.job_id).db_vendor == "dbvmysql"


def test_jobs_list_and_delete(local_server):
    client, _ = client_for(local_server)
    job = client.submit_persist_job(SubmitRequest("dbvmssql", (sql("select 1"),), job_name="to-delete"))
    listed = client.jobs_summary()
    assert job.job_id in [j.job_id for j in listed.jobs]
    assert client.delete_job(job.job_id).status == "delete"
    assert job.job_id not in [j.job_id for j in client.jobs_summary().jobs]


def test_attached_file_from_disk_is_streamed(local_server, tmp_path):
    path = tmp_path / "big.sql"
    path.write_bytes(b"select 1;\n" * 10_000)
    client, wire = client_for(local_server)
    job = client.submit_persist_job(SubmitRequest("dbvmssql", (UploadFile("big.sql", path=path),)))
    assert job.file_names == ("big.sql",)
    assert path.read_bytes() in wire.requests[-1].content


