"""How long scrubbing takes: the :class:`Scrubber` beside the old ``redact`` (a ``str.replace`` of each raw secret).

The old ``redact`` masked only the raw secrets of 4 characters or more; the ``Scrubber`` masks every
encoded form and the credential patterns (``sqlflow_magic/client/scrubbing.py``), so it does more work;
the target is that a 1 MB server answer or error still takes milliseconds.

Inputs (the secrets: a secret key, a JWT, a database password; the key and password with characters that
URL-, JSON- and HTML-encoding change):

- a 1 MB answer with no secret in it (the usual case): SQL lineage JSON text;
- a 1 MB error that echoes the request in every form, every 10 KB;
- a 1 MB base64 blob (a picture) with no secret in it;
- a 200-byte error message (per call);
- the job list of ``%sqlflow_jobs`` with 1,000 jobs, scrubbed as data (``Scrubber.data``).

The speed tricks, each measured with it off (rows "speed trick off"):

- a secret's forms are grouped by the letters and digits they share, and a group's forms are looked for
  only where that part occurs (off: every form looked for alone);
- a credential pattern is tried only where one of its words occurs (off: each pattern's regex run over
  the whole text; the backward ``user:PW@host`` one left out, so the figure is a lower bound);
- ``Scrubber.data`` checks all the strings at once, joined, and scrubs them one by one only when that
  finds something (off: each string scrubbed alone).

    python benchmarks/scrubbing.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import base64
import html
import json
import random
import time
from collections.abc import Callable, Iterable
from urllib.parse import quote, quote_plus

from _common import machine_info, median, table

from sqlflow_magic.client import credential_patterns
from sqlflow_magic.client.scrubbing import Scrubber
from sqlflow_magic.client.secrets import MASK, Secret

SECRET_KEY = 's3cr+t/K3y="<&>-90210'
TOKEN = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZUBleGFtcGxlLmNvbSIsImF1ZCI6Imd1ZHVzb2Z0Iiwia3Yi"
         "OiIzZjJhIn0.qTkXyq3bK9wz0b2yY1j8rQeT0Vf5w8Lh2n1Zc4aPq0M")
PASSWORD = "Quartz pw/8812&x"
SECRETS = (SECRET_KEY, TOKEN, PASSWORD)


def old_redact(text: str, secrets: Iterable[Secret | str | None]) -> str:
    """``redact`` as it was: each raw secret of 4 characters or more replaced."""
    for secret in secrets:
        raw = secret.reveal() if isinstance(secret, Secret) else secret
        if raw and len(raw) >= 4:
            text = text.replace(raw, MASK)
    return text


def lineage_text(size: int) -> str:
    rng = random.Random(1)
    words = ["select", "from", "where", "orders", "customer_id", "sum(amount)", "fdd", "dbo.sales", "join"]
    items = []
    while sum(map(len, items)) < size:
        items.append(json.dumps({"id": rng.randint(1, 10**6), "name": rng.choice(words), "column": rng.choice(words),
                                 "coordinates": [{"x": rng.randint(1, 900), "y": rng.randint(1, 80)}]}))
    return ("[" + ",".join(items) + "]")[:size]


def echoing_error(size: int) -> str:
    body = f"userId=alice&secretKey={quote_plus(SECRET_KEY)}&token={TOKEN}&password={quote_plus(PASSWORD)}"
    echoes = [body, quote(body, safe=""), json.dumps(body), html.escape(body),
              base64.b64encode(b"x" + body.encode()).decode(), base64.urlsafe_b64encode(body.encode()).decode()]
    filler = lineage_text(10_000)
    out = []
    while sum(map(len, out)) < size:
        out += [filler, " ".join(echoes)]
    return "".join(out)[:size]


def blob(size: int) -> str:
    return base64.b64encode(random.Random(2).randbytes(size * 3 // 4)).decode()


def jobs(count: int) -> list[dict[str, object]]:
    return [{"jobId": f"{n:032x}", "jobName": f"job {n}", "userId": "alice@example.com", "dbVendor": "dbvoracle",
             "status": "success", "fileNames": ["cell.sql", "cell-2.sql"], "createTime": "2024-05-01 10:00:00",
             "errorMessage": "", "errors": [{"errorMessage": "syntax error near SELEC", "coordinates": []}]}
            for n in range(count)]


def each_form_alone(scrub: Scrubber, text: str) -> object:
    forms = [form for _, group, _ in scrub._groups for form in group]
    return [text.find(form) for form in forms], credential_patterns.pattern_spans(text)


def each_pattern_over_the_text(text: str) -> object:
    return [list(rule.regex.finditer(text)) for rule in credential_patterns._RULES if not rule.backward]


def each_string_alone(scrub: Scrubber, value: object) -> object:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {each_string_alone(scrub, k): each_string_alone(scrub, v) for k, v in value.items()}
    if isinstance(value, list):
        return [each_string_alone(scrub, v) for v in value]
    return value


def timed(step: Callable[[], object], repeat: int) -> str:
    """``median (fastest)`` of ``repeat`` runs, in milliseconds: the fastest is the figure on a loaded machine."""
    step()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return f"{median(times) * 1000:.3f} ({min(times) * 1000:.3f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    print(machine_info())
    fresh = iter(range(10**6))  # new secrets each time: Python's re would hand back a cached compiled regex
    build = timed(lambda: Scrubber([f"{secret}{next(fresh)}" for secret in SECRETS]), args.repeat)
    scrub = Scrubber(SECRETS)
    clean, echo, picture = lineage_text(1_000_000), echoing_error(1_000_000), blob(1_000_000)
    message = f"Reading the job's status: SQLFlow answered code 500: no such job, {'x' * 140}"[:200]
    listing = jobs(1000)
    rows = [["building the Scrubber (once per set of secrets)", "-", build, "-"]]
    for name, text in (("1 MB answer, no secret", clean), ("1 MB error echoing the secrets", echo),
                       ("1 MB base64 blob, no secret", picture), ("200-byte error message", message)):
        old = timed(lambda text=text: old_redact(text, SECRETS), args.repeat)
        new = timed(lambda text=text: scrub(text), args.repeat)
        left = sum(form in old_redact(text, SECRETS) for form in (quote_plus(SECRET_KEY), quote_plus(PASSWORD)))
        rows.append([name, old, new, "yes" if left else "no"])
    rows.append(["job list of 1,000 jobs, as data", "-", timed(lambda: scrub.data(listing), args.repeat), "-"])
    rows += [
        ["1 MB answer, speed trick off: each form looked for alone", "-",
         timed(lambda: each_form_alone(scrub, clean), args.repeat), "-"],
        ["1 MB answer, speed trick off: each pattern over the whole text", "-",
         timed(lambda: each_pattern_over_the_text(clean), args.repeat), "-"],
        ["job list, speed trick off: each string scrubbed alone", "-",
         timed(lambda: each_string_alone(scrub, listing), args.repeat), "-"],
    ]
    print(table(["input", "old redact, ms: median (fastest)", "Scrubber, ms: median (fastest)",
                 "old redact leaves encoded secrets"], rows))
    assert quote_plus(SECRET_KEY) not in scrub(echo) and TOKEN not in scrub(echo)


if __name__ == "__main__":
    main()
