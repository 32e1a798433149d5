"""Reading a magic's line (``magic/line_options.py``): what the fuzz tier found, each case as a one-line expectation."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError

from sqlflow_magic.magic import line_options as check
from sqlflow_magic.magic.job_magics import SQLFlowJobMagics
from sqlflow_magic.magic.magics import SQLFlowMagics

pytestmark = pytest.mark.unit

SUBMIT = SQLFlowMagics.sqlflow_submit


def refusal(line: str, magic: object = SUBMIT) -> str:
    with pytest.raises(UsageError) as caught:
        check.parse_line(magic, line)
    return str(caught.value)


def test_an_unclosed_quote_is_a_one_line_usage_error():
    assert refusal("-d oracle -n 'my job").startswith("cannot split the line into options (no closing quotation)")


@pytest.mark.parametrize("line", ["--passwd hunter2", "--secretkey=hunter2", "--pass=hunter2", "--dry-run=hunter2",
                                  "-d oracle hunter2", "--on-top hunter2 --tokn"])
def test_a_value_given_to_an_unknown_ambiguous_or_flag_option_is_never_repeated(line):
    assert "hunter2" not in refusal(line)


def test_a_misspelt_option_still_gets_its_suggestion():
    assert refusal("--jobname x").startswith("unrecognized option --jobname: did you mean --job-name?; 1 word not")


def test_a_stray_value_of_a_job_magic_is_not_repeated():
    assert "hunter2" not in refusal("0123456789abcdef0123456789abcdef hunter2", SQLFlowJobMagics.sqlflow_status)


def test_a_port_in_digits_of_another_script_gets_the_port_message():
    assert "the port must be a number from 1 to 65535, not '\u00b2'" in refusal("--port \u00b2")


def test_an_unknown_relation_type_with_a_line_break_is_named_on_one_line():
    with pytest.raises(UsageError) as caught:
        check.relation_types("fdd,a\nb")
    assert "\n" not in str(caught.value)
