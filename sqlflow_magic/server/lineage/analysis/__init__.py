"""The analysis stage: a flow's tables registered, its query scoped and its columns traced to table columns."""
