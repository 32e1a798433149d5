"""Statement kinds: what the engine does with one parsed statement.

A routine whose body is a string is parsed in place; blocks and ``IF`` branches are dispatched again; a
``Command`` is read as DDL or a path flow where it is one, and reported otherwise; ``USE`` changes the
default names; ``EXEC`` is reported; every other statement becomes flows for the analyzer
(docs/engine.md, "The pipeline").
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect

from sqlflow_magic.server.lineage.analysis.analyzer import FlowAnalyzer
from sqlflow_magic.server.lineage.analysis.context import StatementContext
from sqlflow_magic.server.lineage.analysis.inner_spans import inner_context
from sqlflow_magic.server.lineage.analysis.registry import Registry
from sqlflow_magic.server.lineage.analysis.walking import dismantle, worth_dismantling
from sqlflow_magic.server.lineage.flows.ddl import command_flows, ddl_flows
from sqlflow_magic.server.lineage.flows.paths import path_flows, unload_flows
from sqlflow_magic.server.lineage.flows.statements import Flow, flows_for, nested_statements
from sqlflow_magic.server.lineage.input.dialects import DialectChoice
from sqlflow_magic.server.lineage.input.parse_errors import NOT_A_STATEMENT, is_call, not_a_statement
from sqlflow_magic.server.lineage.input.routines import Routine

#: Commands (statements sqlglot could not parse) that move no data: reported only as hints.
_NO_LINEAGE_COMMANDS = frozenset(
    {
        "PRINT", "SET", "GRANT", "REVOKE", "COMMENT", "ANALYZE", "VACUUM", "SHOW", "DESCRIBE", "DESC",
        "EXPLAIN", "PROMPT", "SPOOL", "WHENEVER", "REFRESH", "MSCK", "LOCK", "UNLOCK", "CHECKPOINT",
        "RAISERROR", "THROW", "COMMIT", "ROLLBACK", "BEGIN", "START", "SAVEPOINT", "DBCC", "KILL",
        "WAITFOR", "OPEN", "CLOSE", "FETCH", "DEALLOCATE", "EXIT", "REM", "DEFINE", "UNDEFINE", "DROP",
        "ALTER", "USE", "DECLARE", "RETURN", "BREAK", "CONTINUE", "GOTO", "END", "NULL", "RESET",
        "DELIMITER", "CONNECT", "DISCONNECT", "EXEC", "EXECUTE", "CALL", "IF", "ELSE", "WHILE",
    }
)  # fmt: skip
_MAX_NESTING = 50
_ROUTINES = frozenset({"PROCEDURE", "FUNCTION", "TRIGGER"})
#: Languages of routine bodies the engine parses as SQL (PL/pgSQL and PL/SQL-like scripting included).
SQL_LANGUAGES = frozenset({"SQL", "PLPGSQL", "PLSQL", "SPL", "EDBSPL", "TSQL"})


#: ``report(error_type, message, ctx)``: adds a hint or an error for the statement.
Report = Callable[[str, str, StatementContext], None]
#: ``routine_body(body, ctx, routine, language)``: parses and analyses a routine's string body in place.
RoutineBody = Callable[[str, StatementContext, Routine | None, str], None]


class StatementDispatch:
    """Sorts statements into their kinds; owns nothing but the defaults ``USE`` changes (in the registry)."""

    def __init__(
        self,
        choice: DialectChoice,
        dialect: Dialect,
        registry: Registry,
        analyzer: FlowAnalyzer,
        report: Report,
        routine_body: RoutineBody,
    ) -> None:
        self.choice = choice
        self.dialect = dialect
        self.registry = registry
        self.analyzer = analyzer
        self._report = report
        self._routine_body = routine_body

    def statement(
        self, expression: exp.Expr, ctx: StatementContext, in_block: bool, routine: Routine | None, depth: int = 0
    ) -> None:
        """Sort one parsed statement into its kind and analyse it (``depth``: blocks and branches it sits in)."""
        if _is_routine(expression):
            body = _string_body(expression)
            if body is not None:
                if depth < _MAX_NESTING:
                    language = expression.find(exp.LanguageProperty)
                    self._routine_body(body, ctx, routine, language.name.upper() if language else "SQL")
                return
        nested = nested_statements(expression)
        if nested is not None and depth < _MAX_NESTING:
            for inner in nested:
                leaf = nested_statements(inner) is None
                self.statement(inner, inner_context(ctx, inner) if leaf else ctx, True, routine, depth + 1)
            return
        if isinstance(expression, exp.Command):
            self._command(expression, ctx)
            return
        if isinstance(expression, exp.Use):
            self.use(expression)
            return
        if isinstance(expression, exp.Execute) or is_call(expression, in_block):
            message = f"procedure call not analysed (its body is not part of the job) [{ctx.snippet(60)}]"
            self._report("UnsupportedStatement", message, ctx)
            return
        if not_a_statement(expression, in_block):  # within a block parsed whole: the parser let it through
            self._report("SyntaxError", f"Syntax error: {NOT_A_STATEMENT} [{ctx.snippet(60)}]", ctx)
            return
        into_is_variable = self.choice.select_into_is_variable or (in_block and self.choice.dialect != "tsql")
        flows = ddl_flows(expression)
        if flows is None:
            flows = path_flows(expression)
        if flows is None:
            flows = flows_for(expression, into_is_variable=into_is_variable)
        self._analyse_flows(flows, expression, ctx)

    def _analyse_flows(self, flows: list[Flow], expression: exp.Expr, ctx: StatementContext) -> None:
        try:
            for flow in flows:
                self.analyzer.analyze(flow, ctx)
        finally:
            if worth_dismantling(ctx.number):
                apart = [f.query for f in flows if f.query is not None and f.query.root() is not expression]
                dismantle(expression)
                for query in apart:
                    dismantle(query)

    def _command(self, command: exp.Command, ctx: StatementContext) -> None:
        keyword = str(command.this or "").upper()
        if keyword in ("ALTER", "RENAME"):  # EXCHANGE PARTITION, RENAME TABLE: commands for sqlglot, flows for lineage
            flows = command_flows(ctx.text[ctx.start : ctx.end], ctx.start - ctx.base, self.dialect)
            if flows:
                self._analyse_flows(flows, command, ctx)
                return
        if keyword == "UNLOAD":  # Redshift UNLOAD ('select ...') TO 's3://...': its query flows into the path
            flows = unload_flows(ctx.text[ctx.start : ctx.end], ctx.start - ctx.base, self.dialect)
            if flows:
                self._analyse_flows(flows, command, ctx)
                return
        dialect = self.choice.dialect or "default"
        if keyword in _NO_LINEAGE_COMMANDS:
            message = f"statement not analysed (sqlglot {dialect} reads it as a generic command) [{ctx.snippet()}]"
            self._report("UnsupportedStatement", message, ctx)
        else:
            message = (
                f"statement not analysed: sqlglot ({dialect}) read it as a generic command (a misspelt keyword, "
                f"or syntax it does not support), so its lineage is missing [{ctx.snippet()}]"
            )
            self._report("SyntaxHint", message, ctx)

    def use(self, use: exp.Use) -> None:
        """``USE``: later unqualified names take its database or schema."""
        kind = str(use.args.get("kind") or "").upper()
        target = use.this
        if not isinstance(target, exp.Table) or kind not in ("", "DATABASE", "SCHEMA"):
            return
        registry = self.registry
        if kind == "SCHEMA":
            registry.default_schema = target.name
            if target.args.get("db") is not None:
                registry.default_database = target.args["db"].name
        elif kind == "DATABASE" or self.choice.two_level_names or self.choice.dialect == "tsql":
            registry.default_database = target.name


def _is_routine(expression: exp.Expr) -> bool:
    return isinstance(expression, exp.Create) and str(expression.args.get("kind") or "").upper() in _ROUTINES


def _string_body(create: exp.Expr) -> str | None:
    """The text of a routine body given as a string (``AS $$ ... $$`` or ``AS '...'``), if it is one."""
    body = create.expression
    if isinstance(body, exp.Block) and len(body.expressions) == 1:
        body = body.expressions[0]
    if isinstance(body, (exp.RawString, exp.Heredoc)) or (isinstance(body, exp.Literal) and body.is_string):
        text = body.this if isinstance(body.this, str) else body.name
        return text or None
    return None
