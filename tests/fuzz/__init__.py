"""Bad-input corpus: specs and data files that must each end in one `error:` line, exit 2, no traceback."""
