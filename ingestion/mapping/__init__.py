"""Bring your own data: the dataset mapping file (schema, loading with line-precise errors) and its check
against the data."""
