"""The sweep directory on disk: its layout, tables, schema, state and readers, defined once."""
