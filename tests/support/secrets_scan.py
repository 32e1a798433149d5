"""Looking for secrets where they must not be: in texts, in widget states."""

from __future__ import annotations

from typing import Any

from sqlflow_magic.client import SQLFlowClient
from sqlflow_magic.client.settings import ClientSettings
from tests.support.users import ALICE, ALICE_SECRET

DB_PASSWORD = "db-pw-Quartz-8812"


def known_token(server: Any) -> str:
    with SQLFlowClient(ClientSettings(server.url, user_id=ALICE, secret_key=ALICE_SECRET)) as client:
        return client.generate_token().reveal()


def widget_states() -> list[dict]:
    from ipywidgets.widgets.widget import _instances

    return [w.get_state() for w in list(_instances.values())]


def assert_clean(text: str, secrets: list[str]) -> None:
    for secret in secrets:
        assert secret not in text, f"a secret leaked: {secret[:4]}..."
