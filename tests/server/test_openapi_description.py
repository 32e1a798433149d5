"""``docs/openapi.yaml`` describes the local server as it is: every route it serves and no other, the values
it takes, and the error shape on every operation (the fuzz tier sends what it describes to ``serve``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from starlette.routing import Mount, Route

from sqlflow_magic.protocol import RELATION_TYPES
from sqlflow_magic.server.app import PREFIXES, create_app
from sqlflow_magic.server.config import ServerConfig
from sqlflow_magic.vendors import VENDORS

pytestmark = pytest.mark.unit

DESCRIPTION = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"


@pytest.fixture(scope="module")
def description() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(DESCRIPTION.read_text(encoding="utf-8"))
    return loaded


def served_routes(tmp_path: Path) -> set[tuple[str, str]]:
    """(path, method) of every route of the app ``create_app`` builds."""
    app = create_app(ServerConfig(db_path=tmp_path / "jobs.sqlite3"))
    try:
        return {(mount.path + route.path, method) for mount in app.routes if isinstance(mount, Mount)
                for route in mount.routes if isinstance(route, Route) for method in route.methods or ()}
    finally:
        app.state.context.store.close()


def operations(description: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(path, operation) for path, item in description["paths"].items() for operation in item.values()]


def test_the_description_names_every_route_the_server_serves_and_no_other(description, tmp_path):
    prefixes = [urlsplit(server["url"]).path for server in description["servers"]]
    described = {(prefix + path, method.upper()) for prefix in prefixes
                 for path, item in description["paths"].items() for method in item}
    assert sorted(prefixes) == sorted(PREFIXES)
    assert described == served_routes(tmp_path)


def test_every_operation_has_its_own_id(description):
    ids = [operation["operationId"] for _path, operation in operations(description)]
    assert len(ids) == len(set(ids)), ids


def test_every_operation_answers_errors_in_the_documented_shape(description):
    error = {"$ref": "#/components/schemas/Error"}
    for path, operation in operations(description):
        answers = operation["responses"]
        assert {"200", "408", "413", "500", "503"} <= set(answers), path
        ok = description["components"]["responses"].get(answers["200"].get("$ref", "").rsplit("/", 1)[-1],
                                                         answers["200"])
        json_answer = ok["content"]["application/json"]["schema"]
        assert json_answer == error or error in json_answer.get("anyOf", []), path


def test_the_description_takes_the_server_s_dbvendors_and_relationship_types(description):
    schemas = description["components"]["schemas"]
    assert sorted(schemas["DbVendor"]["enum"]) == sorted(VENDORS)
    pattern = schemas["ExportFields"]["properties"]["showRelationType"]["pattern"]
    assert set(re.findall(r"\(([a-z|]+)\)", pattern)[0].split("|")) == set(RELATION_TYPES)
