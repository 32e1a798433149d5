"""Token-level rewrites of syntax sqlglot cannot parse but whose meaning is plain, keeping every position.

Each rewrite works on one statement's tokens before the parser sees them (as ``REPLACE INTO`` does in
``input/parsing.py``), so node positions still point into the file text:

- Athena, Presto and Trino: a name in backticks (`` `db`.`tab` ``, Athena's DDL quoting, often found in
  its DML too) is read as a quoted identifier, as a name in double quotes would be. sqlglot's tokenizers
  for these dialects know only double quotes, so the backtick became an unknown token and a syntax error.
  No hint: the statement means what it says.
- T-SQL: a compound assignment in a SET list (``SET x += s.y``, also ``-= *= /= %= &= |= ^=``, and of a
  variable: ``SET @n += 1``) is read as ``SET x = x + s.y``: the assigned column is also a source of its
  own value. Without parentheses, so ``x -= a + b`` reads as ``x = x - a + b``: a different value, the
  same columns, which is all lineage needs. A ``Rewritten`` hint says so.
- Every dialect: ``DELETE FROM TABLE t`` is read as ``DELETE FROM t``. ``TABLE`` is a reserved word in
  every dialect, never a table's bare name, but sqlglot read ``table`` as the table and ``t`` as its
  alias, so the lineage named a table ``table``. No hint: the statement means what it says.
"""

from __future__ import annotations

from sqlglot import Token, TokenType

_BACKTICK_DIALECTS = frozenset({"athena", "presto", "trino"})
_COMPOUND_OPERATORS = frozenset(
    {
        TokenType.PLUS, TokenType.DASH, TokenType.STAR, TokenType.SLASH, TokenType.MOD, TokenType.AMP,
        TokenType.PIPE, TokenType.CARET,
    }
)  # fmt: skip
_NAME_PARTS = frozenset({TokenType.VAR, TokenType.IDENTIFIER, TokenType.DOT, TokenType.PARAMETER})
_LIST_STARTS = frozenset({TokenType.SET, TokenType.COMMA})


def rewrite_tokens(tokens: list[Token], piece: str, dialect: str | None) -> tuple[list[Token], str | None]:
    """The statement's tokens with the rewrites of this module applied, and a hint for the result (or ``None``)."""
    tokens = delete_from_table_keyword(tokens)
    if dialect in _BACKTICK_DIALECTS:
        return backticks_as_identifiers(tokens, piece), None
    if dialect == "tsql":
        rewritten = compound_assignments(tokens)
        if rewritten is not tokens:
            return rewritten, "compound assignment (SET x += y) analysed as SET x = x + y"
    return tokens, None


def backticks_as_identifiers(tokens: list[Token], piece: str) -> list[Token]:
    """Each `` `name` `` (two unknown backtick tokens around the name's tokens) as one quoted identifier."""
    if not any(_is_backtick(t) for t in tokens):
        return tokens
    result: list[Token] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if _is_backtick(token):
            close = next((k for k in range(index + 1, len(tokens)) if _is_backtick(tokens[k])), None)
            if close is not None:
                end = tokens[close]
                name = piece[token.start + 1 : end.start]
                if name and "\n" not in name:
                    result.append(Token(TokenType.IDENTIFIER, name, end.line, end.col, token.start, end.end))
                    index = close + 1
                    continue
        result.append(token)
        index += 1
    return result


def compound_assignments(tokens: list[Token]) -> list[Token]:
    """``x += y`` in a SET list as ``x = x + y`` (the same list when there is none); positions kept.

    The added ``= x`` tokens take the positions of the operator and of the assigned name.
    """
    found = [
        k
        for k in range(1, len(tokens) - 1)
        if tokens[k].token_type in _COMPOUND_OPERATORS
        and tokens[k + 1].token_type == TokenType.EQ
        and tokens[k].end + 1 == tokens[k + 1].start
    ]
    if not found:
        return tokens
    result = list(tokens)
    for k in reversed(found):  # from the end, so earlier indexes stay valid
        start = k
        while start > 0 and result[start - 1].token_type in _NAME_PARTS:
            start -= 1
        if start == k or start == 0 or result[start - 1].token_type not in _LIST_STARTS:
            continue
        operator, equals = result[k], result[k + 1]
        assign = Token(TokenType.EQ, "=", operator.line, operator.col, operator.start, operator.start)
        name = [Token(t.token_type, t.text, t.line, t.col, t.start, t.end) for t in result[start:k]]
        combine = Token(operator.token_type, operator.text, equals.line, equals.col, equals.start, equals.end)
        result[k : k + 2] = [assign, *name, combine]
    return result


def delete_from_table_keyword(tokens: list[Token]) -> list[Token]:
    """``DELETE FROM TABLE t`` without its ``TABLE`` keyword (the same list for any other statement)."""
    kinds = [t.token_type for t in tokens[:4]]
    if kinds[:3] == [TokenType.DELETE, TokenType.FROM, TokenType.TABLE] and len(kinds) == 4:
        if kinds[3] in (TokenType.VAR, TokenType.IDENTIFIER):
            return [*tokens[:2], *tokens[3:]]
    return tokens


def _is_backtick(token: Token) -> bool:
    return token.token_type == TokenType.UNKNOWN and token.text == "`"
