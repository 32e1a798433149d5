"""Base URLs, vendors and where settings come from."""

from __future__ import annotations

import pytest

from sqlflow_magic.client.errors import ConfigurationError
from sqlflow_magic.client.secrets import MASK, Secret, mask_identifier, redact
from sqlflow_magic.client.settings import CLOUD_URL, ClientSettings, normalize_base_url
from sqlflow_magic.magic.effective_settings import Sourced, resolve_settings
from sqlflow_magic.protocol import ON_PREMISE_USER_ID
from sqlflow_magic.vendors import VENDORS, UnknownVendorError, resolve_vendor

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://api.gudusoft.com/gspLive_backend", "https://api.gudusoft.com/gspLive_backend"),
        ("https://api.gudusoft.com/api/gspLive_backend/", "https://api.gudusoft.com/api/gspLive_backend"),
        ("https://api.gudusoft.com", "https://api.gudusoft.com/api/gspLive_backend"),
        ("http://sqlflow.local:8081", "http://sqlflow.local:8081/gspLive_backend"),
        ("http://sqlflow.local:8165", "http://sqlflow.local:8165/api/gspLive_backend"),
        ("http://sqlflow.local/api", "http://sqlflow.local/api/gspLive_backend"),
        ("http://h:8165/api/gspLive_backend/sqlflow/job/submitPersistJob", "http://h:8165/api/gspLive_backend"),
        ("  HTTP://h:8081/gspLive_backend  ", "http://h:8081/gspLive_backend"),
    ],
)
def test_base_url_is_completed_to_the_gsplive_prefix(given, expected):
    assert normalize_base_url(given) == expected


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ("sqlflow.local:8165", ["no scheme", "http://sqlflow.local:8165"]),
        ("htp://h", ["misspelt scheme", "http://h"]),
        ("htps://h", ["misspelt scheme", "https://h"]),
        ("ftp://h", ["unsupported scheme"]),
        ("http://h:99999", ["bad port"]),
        ("", ["empty"]),
        ("http://", ["no host"]),
    ],
)
def test_bad_base_urls_name_the_fix(given, words):
    with pytest.raises(ConfigurationError) as caught:
        normalize_base_url(given)
    for word in words:
        assert word in str(caught.value)


@pytest.mark.parametrize(
    ("typed", "vendor"),
    [("mssql", "dbvmssql"), ("sqlserver", "dbvmssql"), ("SQLServer", "dbvmssql"), ("oracle", "dbvoracle"),
     ("postgres", "dbvpostgresql"), ("snowflake", "dbvsnowflake"), ("dbvbigquery", "dbvbigquery"),
     ("Hive", "dbvhive"), ("spark", "dbvsparksql"), ("tsql", "dbvmssql")],
)
def test_vendor_aliases(typed, vendor):
    assert resolve_vendor(typed) == vendor


def test_every_api_vendor_resolves_to_itself():
    assert all(resolve_vendor(v) == v for v in VENDORS)
    assert len(VENDORS) == 27


def test_misspelt_vendor_suggests_the_closest():
    with pytest.raises(UnknownVendorError, match="did you mean 'dbvsnowflake'"):
        resolve_vendor("snowflak")
    with pytest.raises(UnknownVendorError, match="use one of"):
        resolve_vendor("zzzzzzzz")


def test_secret_never_prints():
    secret = Secret("sk-very-secret")
    assert "sk-very" not in f"{secret} {secret!r} {[secret]} {secret:>20}"
    assert secret.reveal() == "sk-very-secret"
    assert redact("token sk-very-secret here", [secret]) == f"token {MASK} here"
    assert "sk-" not in repr(ClientSettings("http://h:8165", user_id="u", secret_key="sk-very-secret"))
    assert mask_identifier("google-oauth2|104002923119102769706") == "goo…06"


def test_secret_key_with_stray_whitespace_is_refused():
    with pytest.raises(ConfigurationError, match="white space"):
        ClientSettings("http://h:8165", user_id="u", secret_key="abc \n")


def test_precedence_config_over_env_over_default():
    env = {"SQLFLOW_URL": "http://env-host:8165", "SQLFLOW_DBVENDOR": "dbvmssql"}
    chosen = resolve_settings({"base_url": "http://config-host:8165"}, env)
    assert chosen.base_url.value == "http://config-host:8165/api/gspLive_backend"
    assert chosen.base_url.source == "%config"
    assert chosen.default_vendor.value == "dbvmssql"
    assert chosen.default_vendor.source == "env SQLFLOW_DBVENDOR"
    assert chosen.read_timeout.source == "default"


def test_nothing_configured_means_the_embedded_server():
    chosen = resolve_settings({}, {})
    assert chosen.uses_embedded_server
    assert chosen.user_id.value == ON_PREMISE_USER_ID
    settings = chosen.client_settings("http://127.0.0.1:5000/gspLive_backend")
    assert settings.is_embedded and not settings.needs_token


def test_credentials_without_url_mean_the_cloud():
    chosen = resolve_settings({}, {"SQLFLOW_USER_ID": "me", "SQLFLOW_SECRET_KEY": "k" * 20})
    assert chosen.base_url.value == CLOUD_URL
    assert not chosen.uses_embedded_server
    rows = {name: (value, source) for name, value, source in chosen.rows()}
    assert rows["secret_key"] == ("******** (set)", "env SQLFLOW_SECRET_KEY")


def test_login_wins_over_env():
    chosen = resolve_settings({}, {"SQLFLOW_USER_ID": "env-user", "SQLFLOW_SECRET_KEY": "env-key-123"},
                     login_secret=Secret("login-key-456"), login_user="login-user")
    assert chosen.user_id.value == "login-user"
    assert chosen.secret_key.source == "%sqlflow_login"


def test_secret_without_user_id_is_a_configuration_problem():
    chosen = resolve_settings({}, {"SQLFLOW_SECRET_KEY": "k" * 20})
    assert any("SQLFLOW_USER_ID" in str(p) for p in chosen.problems)
    assert ("PROBLEM", str(chosen.problems[0]), "") in chosen.rows()
    with pytest.raises(ConfigurationError, match="SQLFLOW_USER_ID"):
        chosen.client_settings()


def test_user_id_alone_is_a_problem_not_a_switch_to_the_cloud():
    chosen = resolve_settings({}, {"SQLFLOW_USER_ID": "me@example.com"})
    assert chosen.uses_embedded_server
    assert "no secret key, token or server URL" in str(chosen.problems[0])
    assert not resolve_settings({}, {"SQLFLOW_USER_ID": "me", "SQLFLOW_URL": "http://h:8165"}).problems


def test_a_bad_url_from_the_environment_is_reported_with_its_source():
    chosen = resolve_settings({}, {"SQLFLOW_URL": "htps://x.example"})
    assert "(from env SQLFLOW_URL)" in str(chosen.problems[0]) and "https://x.example" in str(chosen.problems[0])


URL_PASSWORD = "pw-in-the-url-42"


@pytest.mark.parametrize("url", [
    f"htps://svc:{URL_PASSWORD}@sqlflow.example/api",  # a misspelt scheme
    f"ftp://svc:{URL_PASSWORD}@sqlflow.example",  # an unsupported scheme
    f"svc:{URL_PASSWORD}@sqlflow.example:8165",  # no scheme
    f"https://svc:{URL_PASSWORD}@sqlflow.example:99999",  # a bad port
    f"https://svc:{URL_PASSWORD}@/gspLive_backend",  # no host
])
def test_a_configuration_error_masks_the_urls_credentials(url):
    with pytest.raises(ConfigurationError) as caught:
        normalize_base_url(url)
    assert URL_PASSWORD not in str(caught.value) and "svc:" not in str(caught.value)
    assert MASK in str(caught.value)
    settings = resolve_settings({}, env={"SQLFLOW_URL": url})
    assert URL_PASSWORD not in repr(settings) + str(settings.rows())


def test_a_base_url_with_credentials_is_shown_masked():
    from sqlflow_magic.client import SQLFlowClient
    from sqlflow_magic.client.secrets import display_url

    url = f"https://svc:{URL_PASSWORD}@sqlflow.example/api/gspLive_backend"
    assert display_url(url) == f"https://{MASK}@sqlflow.example/api/gspLive_backend"
    settings = ClientSettings(url)
    assert settings.base_url == url  # still sent: httpx makes Basic authentication of it
    with SQLFlowClient(settings) as client:
        shown = repr(settings) + repr(client) + repr(resolve_settings({"base_url": url}))
    shown += str(resolve_settings({"base_url": url}).rows())
    assert URL_PASSWORD not in shown and MASK in shown


@pytest.mark.parametrize(("setting", "value"), [("request_deadline", 0), ("request_deadline", float("inf")),
                                                ("request_deadline", float("nan")), ("max_answer_bytes", 0)])
def test_a_limit_that_cannot_work_is_refused_by_name(setting, value):
    with pytest.raises(ConfigurationError, match=f"{setting} must be a positive number"):
        ClientSettings("http://h:8165", **{setting: value})


def test_the_client_limits_follow_config_over_env_over_default():
    env = {"SQLFLOW_REQUEST_DEADLINE": "45", "SQLFLOW_MAX_ANSWER_BYTES": "1048576"}
    chosen = resolve_settings({"max_answer_bytes": 2097152}, env)
    assert chosen.request_deadline == Sourced(45.0, "env SQLFLOW_REQUEST_DEADLINE")
    assert chosen.max_answer_bytes == Sourced(2097152, "%config")
    settings = chosen.client_settings("http://127.0.0.1:5000/gspLive_backend")
    assert (settings.request_deadline, settings.max_answer_bytes) == (45.0, 2097152)
    defaults = resolve_settings({}, {})
    assert defaults.request_deadline == Sourced(300.0, "default")
    assert defaults.max_answer_bytes == Sourced(256 * 1024 * 1024, "default")


def test_a_vendor_name_like_none_of_them_gets_the_list_not_a_far_guess():
    with pytest.raises(UnknownVendorError, match=r"^unknown dbvendor 'nope': use one of: dbv") as raised:
        resolve_vendor("nope")
    assert "did you mean" not in str(raised.value)
