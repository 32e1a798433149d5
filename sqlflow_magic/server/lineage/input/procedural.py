"""Token-level heuristics for procedural SQL: block nesting, statement starts, PL/SQL wrappers."""

from __future__ import annotations

import re

# Token and TokenType live in sqlglot.tokenizer_core; the package re-exports them.
from sqlglot import Token, TokenType

_LITERALS = frozenset({TokenType.STRING, TokenType.IDENTIFIER, TokenType.NATIONAL_STRING, TokenType.NUMBER})
_TRANSACTION_WORDS = frozenset({"TRAN", "TRANSACTION", "WORK", "DISTRIBUTED"})
#: ``END IF``, ``END LOOP``, ...: closers of blocks that we do not count as openers.
_UNCOUNTED_BLOCKS = frozenset({"IF", "LOOP", "WHILE", "REPEAT", "FOR"})

_START_WORDS = frozenset(
    {
        "INSERT", "UPDATE", "DELETE", "MERGE", "CREATE", "ALTER", "DROP", "TRUNCATE", "SELECT", "WITH",
        "DECLARE", "USE", "EXEC", "EXECUTE", "GRANT", "REVOKE", "PRINT", "SET", "IF", "WHILE", "RETURN",
        "BEGIN", "CALL", "REPLACE",
    }
)  # fmt: skip
#: A start word right after one of these continues the statement (``ON DELETE``, ``UNION SELECT``, ...).
_CONTINUATIONS = frozenset(
    {
        "THEN", "ON", "FOR", "OF", "INSTEAD", "AFTER", "BEFORE", "UNION", "ALL", "EXCEPT", "INTERSECT",
        "MINUS", "DISTINCT", "AS", "IS", "INTO", "TABLE", "VIEW", "INDEX", "SCHEMA", "DATABASE", "OR",
        "NOT", "EXISTS", "KEY", "(", ",", ".", "=",
    }
)  # fmt: skip
#: These start words are function calls or table hints when an opening parenthesis follows.
_FUNCTION_LIKE = frozenset({"IF", "REPLACE", "WITH", "TRUNCATE", "LEFT", "RIGHT"})
_TESTS = frozenset({"IF", "AND", "WHILE"})
_DML_WORDS = frozenset({"INSERT", "UPDATE", "DELETE", "MERGE", "SELECT", "WITH", "TRUNCATE", "REPLACE", "CREATE"})
#: In a procedural block, a statement may follow these words directly (``IF x THEN DELETE ...``).
_BLOCK_LEADS = frozenset({"BEGIN", "THEN", "ELSE", "LOOP"})
_ROUTINE_WORDS = frozenset({"PROCEDURE", "FUNCTION", "TRIGGER", "PACKAGE", "TYPE", "PROC"})
#: Lengths of END, CASE and BEGIN, the only words :func:`block_depth_change` counts.
_BLOCK_WORD_LENGTHS = frozenset({3, 4, 5})
_BLOCK_WORDS = frozenset({"BEGIN", "CASE", "END"})
#: The words without which :func:`block_depth_change` finds no block in a chunk; with ``headers``, also
#: those :func:`_opens_declarations` and :func:`is_package` look for.
_BLOCK_TEXT_WORDS = tuple(_BLOCK_WORDS)
_HEADER_TEXT_WORDS = (*_BLOCK_WORDS, "DECLARE", *_ROUTINE_WORDS)
#: A letter or an underscore: no tokenizer splits a name right after one (``1BEGIN`` may well be split).
_NAME_CHARACTER = re.compile(r"[^\W\d]")


def may_hold_blocks(text: str, headers: bool) -> bool:
    """Whether the tokens of ``text`` might open or close a block (:func:`block_depth_change` looks at every
    token; this searches the text): one of the words, upper-cased as tokens are read, where a token
    could hold it, not inside a longer name. A word in a string or a comment only says "might"."""
    upper = text.upper()
    for word in _HEADER_TEXT_WORDS if headers else _BLOCK_TEXT_WORDS:
        at = upper.find(word)
        while at != -1:
            end = at + len(word)
            if (at == 0 or _NAME_CHARACTER.match(upper, at - 1) is None) and (
                end == len(upper) or not (upper[end].isalnum() or upper[end] == "_")
            ):
                return True
            at = upper.find(word, at + 1)
    return False


def _word(token: Token) -> str:
    return "" if token.token_type in _LITERALS else token.text.upper()


def block_depth_change(chunk: list[Token], declare_pending: bool, headers: bool) -> tuple[int, bool]:
    """Net number of blocks that ``chunk`` opens (negative: closes), and whether a BEGIN is awaited.

    With ``headers`` (PL/SQL-like dialects), ``DECLARE ...`` and ``CREATE PROCEDURE p IS ...`` open a
    block whose ``BEGIN`` comes in a later chunk; ``declare_pending`` carries that across chunks.
    """
    delta, skipped = 0, -1
    if headers and is_package(chunk):
        delta = 1  # the package's own block, closed by ``END pk``
    if headers and _opens_declarations(chunk):
        delta, declare_pending = delta + 1, True
    last = len(chunk) - 1
    # Most tokens cannot be one of the three words: their length rules them out without upper-casing.
    for index in [i for i, token in enumerate(chunk) if len(token.text) in _BLOCK_WORD_LENGTHS]:
        if index == skipped:
            continue
        word = _word(chunk[index])
        if word not in _BLOCK_WORDS:
            continue
        following = _word(chunk[index + 1]) if index < last else ""
        if word == "BEGIN":
            # A lone ``BEGIN;`` or ``BEGIN TRANSACTION`` starts a transaction, not a block.
            if following not in _TRANSACTION_WORDS and last > 0:
                if declare_pending:
                    declare_pending = False
                else:
                    delta += 1
        elif word == "CASE":
            delta += 1
        elif following in _UNCOUNTED_BLOCKS:  # END IF, END LOOP, ...
            skipped = index + 1
        else:
            delta -= 1
            if following == "CASE":
                skipped = index + 1
    return delta, declare_pending


def _opens_declarations(chunk: list[Token]) -> bool:
    """``DECLARE v NUMBER`` or a routine header ending in declarations (``... IS v NUMBER``).

    A PL/SQL package body (``CREATE PACKAGE BODY pk AS PROCEDURE a IS ...``) and its members
    (``PROCEDURE a IS``, ``FUNCTION f RETURN NUMBER IS``) count too: see :func:`block_depth_change`.
    """
    first = _word(chunk[0])
    if first == "DECLARE":
        return len(chunk) > 1 and not chunk[1].text.startswith("@")
    if first in _MEMBER_WORDS:
        return _declarations_follow(chunk)
    if first != "CREATE" or not any(_word(t) in _ROUTINE_WORDS for t in chunk[1:6]):
        return False
    if is_package(chunk):
        member = _package_member(chunk)
        return member is not None and _declarations_follow(chunk[member:])
    return _declarations_follow(chunk)


def _declarations_follow(chunk: list[Token]) -> bool:
    words = [_word(t) for t in chunk]
    if "BEGIN" in words:
        return False
    # ``... IS v NUMBER`` or a bare ``... AS``; not ``AS $$ body $$`` (a body kept as a string). The
    # header's own IS or AS is the first outside parentheses (``CURSOR c IS SELECT`` may follow it).
    marker, depth = None, 0
    for index, token in enumerate(chunk):
        depth += token.token_type == TokenType.L_PAREN
        depth -= token.token_type == TokenType.R_PAREN
        if depth == 0 and words[index] in ("IS", "AS"):
            marker = index
            break
    if marker is None:
        return False
    return marker == len(chunk) - 1 or chunk[marker + 1].token_type == TokenType.VAR or words[marker + 1] == "CURSOR"


_MEMBER_WORDS = frozenset({"PROCEDURE", "FUNCTION"})


def is_package(chunk: list[Token]) -> bool:
    """Whether the chunk starts ``CREATE [OR REPLACE] PACKAGE [BODY]``: a block that ends with ``END name``."""
    return _word(chunk[0]) == "CREATE" and any(_word(t) == "PACKAGE" for t in chunk[1:5])


def _package_member(chunk: list[Token]) -> int | None:
    """Index of the first member (``PROCEDURE a IS``) in a package's first chunk."""
    for index in range(2, len(chunk)):
        if _word(chunk[index]) in _MEMBER_WORDS and _word(chunk[index - 1]) in ("AS", "IS"):
            return index
    return None


def is_statement_start(tokens: list[Token], index: int) -> bool:
    """Whether ``tokens[index]`` plausibly starts a new statement (for scripts without semicolons)."""
    word = _word(tokens[index])
    if word not in _START_WORDS:
        return False
    if index > 0 and _word(tokens[index - 1]) in _CONTINUATIONS:
        return False
    following = tokens[index + 1] if index + 1 < len(tokens) else None
    if following is not None and following.token_type == TokenType.L_PAREN:
        # T-SQL triggers test ``IF UPDATE(col)``: a function; Oracle's ``UPDATE (SELECT ...)`` is a statement.
        tested = word == "UPDATE" and index > 0 and _word(tokens[index - 1]) in _TESTS
        return word not in _FUNCTION_LIKE and not tested
    return True


#: Word pairs where a statement word continues the previous clause even at the start of a line.
_CLAUSE_PAIRS = frozenset(
    {("ON", "DELETE"), ("ON", "UPDATE"), ("FOR", "UPDATE"), ("THEN", "UPDATE"), ("THEN", "DELETE"), ("THEN", "INSERT")}
)
_SET_OPERATORS = frozenset({"UNION", "ALL", "EXCEPT", "INTERSECT", "MINUS", "DISTINCT", "AS", "(", ","})


def starts_line_statement(tokens: list[Token], index: int) -> bool:
    """Whether ``tokens[index]`` is a statement word at the start of a line (after an unparsed command)."""
    if index == 0 or tokens[index - 1].line >= tokens[index].line or _word(tokens[index]) not in _START_WORDS:
        return False
    previous = _word(tokens[index - 1])
    return (previous, _word(tokens[index])) not in _CLAUSE_PAIRS and previous not in _SET_OPERATORS


def _starts_block_statement(chunk: list[Token], index: int) -> bool:
    if index == 0 or _word(chunk[index - 1]) in _BLOCK_LEADS:
        return True
    return is_statement_start(chunk, index)


def split_procedural_prefix(chunk: list[Token]) -> tuple[list[Token], list[Token]]:
    """Split a chunk of a procedural block into its procedural prefix and the SQL statement after it.

    ``BEGIN INSERT INTO t ...`` gives ``([BEGIN], [INSERT, ...])``; a routine header such as
    ``CREATE PROCEDURE p IS v NUMBER`` or a bare ``END IF`` has no statement: ``(chunk, [])``.
    """
    depth = 0
    for index, token in enumerate(chunk):
        if token.token_type == TokenType.L_PAREN:
            depth += 1
        elif token.token_type == TokenType.R_PAREN:
            depth = max(0, depth - 1)
        elif depth == 0 and _word(token) in _DML_WORDS and _starts_block_statement(chunk, index):
            if _word(token) == "CREATE" and any(_word(t) in _ROUTINE_WORDS for t in chunk[index + 1 : index + 6]):
                continue
            return chunk[:index], chunk[index:]
    return chunk, []


def block_statements(chunk: list[Token]) -> list[list[Token]]:
    """The SQL statements of a chunk of a procedural block, as token lists (none for ``END IF``).

    Besides the statement after the chunk's procedural prefix (:func:`split_procedural_prefix`), a
    cursor's query is a read: ``CURSOR c IS SELECT ...`` and the ``(SELECT ...)`` of PL/SQL's
    ``FOR r IN (SELECT ...) LOOP``.
    """
    prefix, statement = split_procedural_prefix(chunk)
    found = [query] if (query := _cursor_query(prefix)) else []
    return [*found, statement] if statement else found


def _cursor_query(prefix: list[Token]) -> list[Token] | None:
    words = [_word(token) for token in prefix]
    if "CURSOR" in words and "IS" in words[words.index("CURSOR") :]:
        query = prefix[words.index("IS", words.index("CURSOR")) + 1 :]
        return query if query and _word(query[0]) in ("SELECT", "WITH") else None
    for index in range(len(prefix) - 3):
        if _word(prefix[index]) == "IN" and prefix[index + 1].token_type == TokenType.L_PAREN:
            if _word(prefix[index + 2]) in ("SELECT", "WITH") and "FOR" in (_word(t) for t in prefix[:index]):
                return _until_closing(prefix, index + 1)
    return None


def _until_closing(tokens: list[Token], opening: int) -> list[Token] | None:
    """The tokens inside the parentheses opened at ``tokens[opening]``."""
    depth = 0
    for index in range(opening, len(tokens)):
        if tokens[index].token_type == TokenType.L_PAREN:
            depth += 1
        elif tokens[index].token_type == TokenType.R_PAREN:
            depth -= 1
            if depth == 0:
                return tokens[opening + 1 : index]
    return None


def declared_names(group: list[list[Token]]) -> frozenset[str]:
    """Lower-case names of a PL/SQL-like block's parameters, variables and loop records.

    Statements inside the block refer to them like columns (``WHERE day = p_day``); the analysis
    treats them as constants instead.
    """
    names: set[str] = set()
    for chunk in group:
        words = [_word(token) for token in chunk]
        if words[0] == "CREATE" and any(word in _ROUTINE_WORDS for word in words[1:6]):
            names |= _parameters(chunk)
            declared = next((i + 1 for i, word in enumerate(words) if word in ("IS", "AS")), len(chunk))
            if declared < len(chunk) and chunk[declared].token_type == TokenType.VAR:
                names.add(chunk[declared].text.lower())
        elif words[0] == "DECLARE" and len(chunk) > 1:
            names.add(chunk[1].text.lower())
        elif chunk[0].token_type == TokenType.VAR and len(chunk) > 1 and words[1] not in ("(", "."):
            names.add(chunk[0].text.lower())  # ``v NUMBER;`` or ``v := 1;``
        for index, word in enumerate(words[:-2]):
            if word == "FOR" and words[index + 2] == "IN":
                names.add(chunk[index + 1].text.lower())
    return frozenset(names)


def _parameters(chunk: list[Token]) -> set[str]:
    names, depth, expect_name = set(), 0, False
    for token in chunk:
        if depth == 0 and _word(token) in ("IS", "AS", "BEGIN"):
            break  # the header ends: parentheses after it are the body's (``INSERT INTO t (id)``)
        if token.token_type == TokenType.L_PAREN:
            depth += 1
            expect_name = depth == 1
        elif token.token_type == TokenType.R_PAREN:
            depth -= 1
            if depth == 0:
                break
        elif depth == 1 and token.token_type == TokenType.COMMA:
            expect_name = True
        elif expect_name:
            names.add(token.text.lower())
            expect_name = False
    return names


def statement_starts(tokens: list[Token]) -> list[int]:
    """Indexes of the tokens that may start a statement, outside parentheses."""
    starts, depth = [], 0
    for index, token in enumerate(tokens):
        if token.token_type == TokenType.L_PAREN:
            depth += 1
        elif token.token_type == TokenType.R_PAREN:
            depth = max(0, depth - 1)
        elif depth == 0 and is_statement_start(tokens, index):
            starts.append(index)
    return starts


def values_head(tokens: list[Token]) -> list[Token]:
    """``INSERT INTO t (...) VALUES (...), (...), ...`` of a data dump: keep only the first row.

    The rows carry no lineage, and parsing thousands of them costs time and memory.
    """
    if tokens[0].token_type != TokenType.INSERT:
        return tokens
    depth, values = 0, None
    for index, token in enumerate(tokens):
        if token.token_type == TokenType.L_PAREN:
            depth += 1
        elif token.token_type == TokenType.R_PAREN:
            depth -= 1
        elif depth == 0 and token.token_type == TokenType.VALUES:
            values = index
            break
    if values is None:
        return tokens
    for end in range(values + 1, len(tokens)):
        token = tokens[end]
        if token.token_type == TokenType.L_PAREN:
            depth += 1
        elif token.token_type == TokenType.R_PAREN:
            depth -= 1
            if depth == 0:
                return tokens[: end + 1]
    return tokens
