"""The facets of the events, built with ``openlineage-python``'s own models (``facet_v2``).

- ``jobType`` (every job): ``processingType`` ``BATCH``, ``integration`` ``SQLFLOW``, ``jobType``
  ``QUERY`` for a statement and ``JOB`` for the SQLFlow job that holds them;
- ``sql`` (a statement's job): the statement's text, where the caller gives it;
- ``parent`` (a statement's run): the SQLFlow job's job and run;
- ``schema`` (a dataset whose columns the lineage knows): the column names (SQLFlow gives no types);
- ``columnLineage`` (an output dataset): per output column its input columns, each with one
  transformation per kind of flow: ``fdd`` is ``DIRECT`` (subtype ``IDENTITY``, ``TRANSFORMATION`` or
  ``AGGREGATION`` from the ``valueKind``), ``fdr``/``frd``/``fddi`` are ``INDIRECT`` (subtype from the
  ``clauseType``: :data:`CLAUSE_SUBTYPES`); no subtype where the lineage does not say. Flows into the
  target's rows (``RelationRows``: a ``DELETE``, a filter SQLFlow draws into the rows) go to the facet's
  ``dataset`` list, the lineage that affects the whole dataset.
"""

from __future__ import annotations

from typing import Any

INTEGRATION = "SQLFLOW"
#: SQLFlow's ``clauseType`` (and the embedded server's spellings) to OpenLineage's INDIRECT subtypes.
CLAUSE_SUBTYPES = {"where": "FILTER", "having": "FILTER", "qualify": "FILTER", "connectby": "FILTER",
                   "except": "FILTER", "joincondition": "JOIN", "join": "JOIN", "groupby": "GROUP_BY",
                   "orderby": "SORT", "window": "WINDOW", "case": "CONDITIONAL", "casewhen": "CONDITIONAL"}
#: The embedded server's ``valueKind`` to OpenLineage's DIRECT subtypes.
VALUE_SUBTYPES = {"identity": "IDENTITY", "transformation": "TRANSFORMATION", "aggregation": "AGGREGATION"}


def job_type(kind: str, producer: str) -> Any:
    from openlineage.client.facet_v2 import job_type_job

    return job_type_job.JobTypeJobFacet(processingType="BATCH", integration=INTEGRATION, jobType=kind,
                                          producer=producer)


def sql(text: str, producer: str) -> Any:
    from openlineage.client.facet_v2 import sql_job

    return sql_job.SQLJobFacet(query=text, producer=producer)


def parent(namespace: str, name: str, run_id: str, producer: str) -> Any:
    from openlineage.client.facet_v2 import parent_run

    return parent_run.ParentRunFacet(run=parent_run.Run(runId=run_id),
                                     job=parent_run.Job(namespace=namespace, name=name), producer=producer)


def schema(columns: list[str], producer: str) -> Any:
    from openlineage.client.facet_v2 import schema_dataset

    return schema_dataset.SchemaDatasetFacet(fields=[schema_dataset.SchemaDatasetFacetFields(name=c) for c in columns],
                                             producer=producer)


def transformation(kind: str, value_kind: str, clause: str) -> Any:
    """One transformation of a column flow: ``kind`` ``fdd`` is DIRECT, any other INDIRECT."""
    from openlineage.client.facet_v2 import column_lineage_dataset as cl

    if kind == "fdd":
        return cl.Transformation(type="DIRECT", subtype=VALUE_SUBTYPES.get(value_kind.casefold()))
    return cl.Transformation(type="INDIRECT", subtype=CLAUSE_SUBTYPES.get(clause.casefold()))


def input_field(namespace: str, name: str, column: str, transformations: list[Any]) -> Any:
    from openlineage.client.facet_v2 import column_lineage_dataset as cl

    return cl.InputField(namespace=namespace, name=name, field=column, transformations=transformations)


def column_lineage(fields: dict[str, list[Any]], whole_dataset: list[Any], producer: str) -> Any:
    """The facet: ``fields`` maps an output column to its input fields; ``whole_dataset`` affects every row."""
    from openlineage.client.facet_v2 import column_lineage_dataset as cl

    return cl.ColumnLineageDatasetFacet(fields={column: cl.Fields(inputFields=inputs)
                                                for column, inputs in fields.items()},
                                        dataset=whole_dataset, producer=producer)
