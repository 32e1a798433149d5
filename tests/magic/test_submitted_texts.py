"""What ``%%sqlflow_submit`` remembers of the SQL it sent: per server, job and file, bounded, text only."""

from __future__ import annotations

import pytest

from sqlflow_magic.client.models import UploadFile
from sqlflow_magic.magic.submitted_texts import SubmittedTexts

pytestmark = pytest.mark.unit


def test_texts_are_kept_per_server_job_and_file_and_the_oldest_go_first_past_the_bounds():
    memory = SubmittedTexts(max_files=2, max_chars=10)
    memory.remember("s", "j1", [UploadFile("a.sql", b"1234"), UploadFile("b.sql", b"5678")])
    memory.remember("other", "j1", [UploadFile("a.sql", b"xx")])
    assert memory.files("s", "j1") == {"b.sql": "5678"} and memory.files("other", "j1") == {"a.sql": "xx"}
    memory.remember("s", "j2", [UploadFile("big.sql", b"x" * 11)])
    assert memory.files("s", "j2") == {}


def test_cells_and_files_are_kept_and_zips_and_other_encodings_skipped(tmp_path):
    (tmp_path / "load.sql").write_text("SELECT 1;\n", encoding="utf-8")
    memory = SubmittedTexts()
    memory.remember("s", "j", [UploadFile.from_text("SELECT 2;"), UploadFile("load.sql", path=tmp_path / "load.sql"),
                               UploadFile("a.zip", b"PK\x03\x04rest"),
                               UploadFile("latin.sql", "SELECT 'é';".encode("latin-1"))])
    assert memory.files("s", "j") == {"cell.sql": "SELECT 2;", "load.sql": "SELECT 1;\n"}
