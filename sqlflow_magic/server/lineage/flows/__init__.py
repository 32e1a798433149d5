"""The flows stage: one statement becomes data flows, each a target fed by a query (docs/engine.md)."""
