"""Reading OpenLineage events as JSON back into ``openlineage-python``'s own models, with what does not fit.

``openlineage-python`` writes events (``Serde.to_json``) but has no reader; this is one, for the loopback
receiver (:mod:`sqlflow_magic.openlineage.receiver`) and for anyone who wants to check what a catalogue
would get::

    from sqlflow_magic.openlineage.reading import read_event

    read = read_event(json.loads(text))
    read.event.job.facets["sql"].query, read.warnings

Every object is built with the client's ``attrs`` class for its place (the facets by their names in the
OpenLineage spec: ``schema``, ``columnLineage``, ``sql``, ``parent``, ...), so the client's own validators
run (a run id that is not a UUID, an ``eventTime`` without a time). What does not fit is a warning, one
line each, naming where it is (``outputs[0].facets.columnLineage.fields.total``): a field the model does
not have, a facet name the spec does not define, a facet without ``_producer`` or ``_schemaURL``, a value
the model refuses. A required field that is missing is an error (:class:`EventReadError`).
"""

from __future__ import annotations

import enum
import functools
import types
import typing
from dataclasses import dataclass
from typing import Any, Union

#: Facet names of the OpenLineage spec, by where they go, and the client's module and class for each.
FACETS: dict[str, dict[str, tuple[str, str]]] = {
    "job": {
        "sql": ("sql_job", "SQLJobFacet"), "jobType": ("job_type_job", "JobTypeJobFacet"),
        "documentation": ("documentation_job", "DocumentationJobFacet"),
        "ownership": ("ownership_job", "OwnershipJobFacet"), "sourceCode": ("source_code_job", "SourceCodeJobFacet"),
        "sourceCodeLocation": ("source_code_location_job", "SourceCodeLocationJobFacet"),
        "tags": ("tags_job", "TagsJobFacet"),
    },
    "run": {
        "parent": ("parent_run", "ParentRunFacet"), "nominalTime": ("nominal_time_run", "NominalTimeRunFacet"),
        "errorMessage": ("error_message_run", "ErrorMessageRunFacet"),
        "externalQuery": ("external_query_run", "ExternalQueryRunFacet"),
        "extractionError": ("extraction_error_run", "ExtractionErrorRunFacet"),
        "processing_engine": ("processing_engine_run", "ProcessingEngineRunFacet"),
        "environmentVariables": ("environment_variables_run", "EnvironmentVariablesRunFacet"),
        "jobDependencies": ("job_dependencies_run", "JobDependenciesRunFacet"),
        "executionParameters": ("execution_parameters_run", "ExecutionParametersRunFacet"),
        "tags": ("tags_run", "TagsRunFacet"),
    },
    "dataset": {
        "schema": ("schema_dataset", "SchemaDatasetFacet"),
        "columnLineage": ("column_lineage_dataset", "ColumnLineageDatasetFacet"),
        "dataSource": ("datasource_dataset", "DatasourceDatasetFacet"),
        "documentation": ("documentation_dataset", "DocumentationDatasetFacet"),
        "lifecycleStateChange": ("lifecycle_state_change_dataset", "LifecycleStateChangeDatasetFacet"),
        "ownership": ("ownership_dataset", "OwnershipDatasetFacet"),
        "storage": ("storage_dataset", "StorageDatasetFacet"), "symlinks": ("symlinks_dataset", "SymlinksDatasetFacet"),
        "version": ("dataset_version_dataset", "DatasetVersionDatasetFacet"),
        "datasetType": ("dataset_type_dataset", "DatasetTypeDatasetFacet"),
        "catalog": ("catalog_dataset", "CatalogDatasetFacet"),
        "hierarchy": ("hierarchy_dataset", "HierarchyDatasetFacet"),
        "tags": ("tags_dataset", "TagsDatasetFacet"),
    },
    "input": {
        "dataQualityMetrics": ("data_quality_metrics_input_dataset", "DataQualityMetricsInputDatasetFacet"),
        "dataQualityAssertions": ("data_quality_assertions_dataset", "DataQualityAssertionsDatasetFacet"),
        "inputStatistics": ("input_statistics_input_dataset", "InputStatisticsInputDatasetFacet"),
    },
    "output": {
        "outputStatistics": ("output_statistics_output_dataset", "OutputStatisticsOutputDatasetFacet"),
    },
}
#: The attribute of a model that holds facets, and which kind of facets it holds.
_FACET_HOLDERS = {("Job", "facets"): "job", ("RootJob", "facets"): "job", ("Run", "facets"): "run",
                  ("RootRun", "facets"): "run", ("InputDataset", "facets"): "dataset",
                  ("OutputDataset", "facets"): "dataset", ("StaticDataset", "facets"): "dataset",
                  ("InputDataset", "inputFacets"): "input", ("OutputDataset", "outputFacets"): "output"}
_FACET_KEYS = ("_producer", "_schemaURL")


class EventReadError(ValueError):
    """The JSON is not an OpenLineage event the client's models can hold (one line, naming where)."""


@dataclass(frozen=True)
class ReadEvent:
    """An event in the client's models, and what in its JSON did not fit them (one line each)."""

    event: Any
    warnings: tuple[str, ...]


def read_event(data: Any) -> ReadEvent:
    """``data`` (an event's parsed JSON) as a ``RunEvent``, ``JobEvent`` or ``DatasetEvent`` of
    ``openlineage.client.event_v2``. Raises :class:`EventReadError` when it cannot be one."""
    from openlineage.client import event_v2

    if not isinstance(data, dict):
        raise EventReadError(f"an event is a JSON object, not {type(data).__name__}")
    kind = (event_v2.RunEvent if "run" in data else event_v2.JobEvent if "job" in data
            else event_v2.DatasetEvent if "dataset" in data else None)
    if kind is None:
        raise EventReadError("the event has none of run, job or dataset: it is no OpenLineage event")
    warnings: list[str] = []
    event = _build(kind, data, "", warnings)
    return ReadEvent(event, tuple(warnings))


def _build(cls: type, data: Any, where: str, warnings: list[str]) -> Any:
    """An instance of the attrs class ``cls`` from ``data``; unknown keys become warnings."""
    import attr

    if not isinstance(data, dict):
        raise EventReadError(f"{where or 'the event'} should be an object, not {type(data).__name__}")
    hints, known = _model_of(cls)
    arguments: dict[str, Any] = {}
    for key, value in data.items():
        field = known.get(key)
        if field is None:
            warnings.append(f"{_at(where, key)}: not a field of {cls.__name__}")
            continue
        if not field.init:  # _schemaURL, schemaURL: the model sets its own
            continue
        holder = _FACET_HOLDERS.get((cls.__name__, key))
        if holder and isinstance(value, dict):
            converted: Any = {name: _facet(holder, name, facet, _at(_at(where, key), name), warnings)
                              for name, facet in value.items()}
        else:
            converted = _convert(hints[key], value, _at(where, key), warnings)
        arguments[field.alias] = converted
    missing = [name for name, field in known.items() if field.init and field.default is attr.NOTHING
               and name not in data]
    if missing:
        raise EventReadError(f"{where or 'the event'} lacks {', '.join(missing)}, which {cls.__name__} requires")
    try:
        return cls(**arguments)
    except (TypeError, ValueError) as exc:
        raise EventReadError(f"{where or 'the event'}: {cls.__name__} refuses it: {exc}") from None


@functools.cache
def _model_of(cls: type) -> tuple[dict[str, Any], dict[str, Any]]:
    """A model's type hints and its fields by name: worked out once per class (the hints are evaluated from
    the annotations' text, which costs more than reading a whole event)."""
    import attr

    return typing.get_type_hints(cls), {field.name: field for field in attr.fields(cls)}


def _facet(holder: str, name: str, data: Any, where: str, warnings: list[str]) -> Any:
    import importlib

    from openlineage.client import facet_v2

    known = FACETS[holder].get(name)
    if isinstance(data, dict):
        warnings += [f"{where}: the facet has no {key}" for key in _FACET_KEYS if key not in data]
    if known is None:
        warnings.append(f"{where}: not a {holder} facet of the OpenLineage spec")
        base = {"job": facet_v2.JobFacet, "run": facet_v2.RunFacet, "dataset": facet_v2.DatasetFacet,
                "input": facet_v2.InputDatasetFacet, "output": facet_v2.OutputDatasetFacet}[holder]
        plain = {key: value for key, value in data.items() if key in _FACET_KEYS} if isinstance(data, dict) else {}
        return _build(base, plain, where, warnings)
    module = importlib.import_module(f"openlineage.client.generated.{known[0]}")
    return _build(getattr(module, known[1]), data, where, warnings)


def _convert(hint: Any, value: Any, where: str, warnings: list[str]) -> Any:
    """``value`` as the type ``hint`` says: attrs classes built, lists and dicts converted item by item."""
    import attr

    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        options = [option for option in typing.get_args(hint) if option is not type(None)]
        return _convert(options[0], value, where, warnings) if len(options) == 1 else value
    if origin is list:
        if not isinstance(value, list):
            raise EventReadError(f"{where} should be a list, not {type(value).__name__}")
        (item,) = typing.get_args(hint)
        return [_convert(item, v, f"{where}[{i}]", warnings) for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise EventReadError(f"{where} should be an object, not {type(value).__name__}")
        _, item = typing.get_args(hint)
        return {k: _convert(item, v, _at(where, k), warnings) for k, v in value.items()}
    if isinstance(hint, type) and attr.has(hint):
        return _build(hint, value, where, warnings)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        try:
            return hint(value)
        except ValueError:
            raise EventReadError(f"{where}: {value!r} is not one of {', '.join(m.value for m in hint)}") from None
    return value


def _at(where: str, key: Any) -> str:
    return f"{where}.{key}" if where else str(key)
