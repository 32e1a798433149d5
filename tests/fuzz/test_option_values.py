"""hypothesis gives every option value check any text: the magic's (dbvendor, jobId, cron, port, relation
types, file and variable names) and the server's (dbvendor, jobId, booleans, port, delimiter, display settings,
cron). Each accepts a value in its documented form or refuses it with its one-line error, never another
exception.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from IPython.core.error import UsageError

from sqlflow_magic.magic import line_options as check
from sqlflow_magic.protocol import RELATION_TYPES, cron_problem, is_job_id
from sqlflow_magic.server.params import (
    RequestParams,
    parse_bool,
    parse_delimiter,
    parse_job_id,
    parse_port,
    parse_vendor,
    parse_view,
)
from sqlflow_magic.server.responses import Rejection
from sqlflow_magic.vendors import VENDORS
from tests.support.fuzzing import fuzz_settings

pytestmark = pytest.mark.fuzz

#: Any text, and text near the accepted forms (digits of other scripts, cron words, vendor names, hex).
TEXT = st.one_of(
    st.text(),
    st.text(alphabet="0123456789\u00b2\u00b3\u00b9\u0661\u0662\u0ed2\U0001d7d8 -+.,eE_xX\t", max_size=8),
    st.lists(st.sampled_from(["*", "*/5", "1-5", "0", "59", "60", "99999999999999999999", "MON", "jan", "L", "W",
                              "#2", "?", "H", "1,2", "-1", "7", "SUN-SAT", "", "\u0660"]),
             min_size=0, max_size=7).map(" ".join),
    st.sampled_from(sorted(VENDORS)).map(lambda name: name.upper()),
    st.text(alphabet="0123456789abcdefABCDEF", min_size=30, max_size=34),
    st.sampled_from(["true", "FALSE", "tRuE", "\\t", "tab", "\t", '"', ",", ""]),
)


def outcome(check_value: Callable[[str], Any], value: str, refusal: type[Exception] | tuple[type[Exception], ...]
            ) -> Any:
    """``check_value(value)``, or the message of its ``refusal``, checked to be one line; anything else fails."""
    try:
        return check_value(value)
    except refusal as exc:
        message = exc.message if isinstance(exc, Rejection) else str(exc)
        assert message.strip() and "\n" not in message and "\r" not in message, repr(message)
        return None


MAGIC_CHECKS: dict[str, tuple[Callable[[str], Any], Callable[[Any], bool]]] = {
    "dbvendor": (check.vendor, lambda value: value in VENDORS),
    "jobId": (check.job_id, is_job_id),
    "cron": (check.cron_expression, lambda value: cron_problem(value) is None),
    "port": (check.port_number, lambda value: isinstance(value, int) and 1 <= value <= 65535),
    "relations": (check.relation_types, lambda value: set(value) <= set(RELATION_TYPES)),
    "filename": (check.file_name, lambda value: "/" not in value and "\\" not in value),
    "var": (check.variable_name, str.isidentifier),
}


@pytest.mark.parametrize("name", MAGIC_CHECKS)
@given(text=TEXT)
@fuzz_settings(300)
def test_a_magic_option_value_is_taken_or_refused_in_one_line(name, text):
    check_value, well_formed = MAGIC_CHECKS[name]
    value = outcome(check_value, text, (UsageError, argparse.ArgumentTypeError))
    event("taken" if value is not None else "refused")
    assert value is None or well_formed(value), value


def params(name: str, text: str) -> RequestParams:
    return RequestParams(fields={name: text})


SERVER_CHECKS: dict[str, Callable[[str], Any]] = {
    "dbvendor": lambda text: parse_vendor(params("dbvendor", text)),
    "jobId": parse_job_id,
    "boolean": lambda text: parse_bool(params("onTop", text), "onTop", default=False),
    "port": lambda text: parse_port(params("port", text)),
    "delimiter": lambda text: parse_delimiter(params("delimiter", text)),
    "showRelationType": lambda text: parse_view(params("showRelationType", text)),
    "tableToTable": lambda text: parse_view(params("tableToTable", text)),
}


@pytest.mark.parametrize("name", SERVER_CHECKS)
@given(text=TEXT)
@fuzz_settings(300)
def test_a_server_field_is_taken_or_refused_in_one_line(name, text):
    value = outcome(SERVER_CHECKS[name], text, Rejection)
    event("taken" if value is not None else "refused")
    if name == "port" and value is not None:
        assert 1 <= value <= 65535
    if name == "dbvendor" and value is not None:
        assert value in VENDORS


@given(TEXT)
@fuzz_settings(500)
def test_a_cron_expression_is_valid_or_its_problem_is_one_line(text):
    problem = cron_problem(text)
    assert problem is None or (problem.strip() and "\n" not in problem), problem
