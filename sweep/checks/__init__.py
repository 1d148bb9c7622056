"""Pre-flight checks that stop a bad spec, dataset or --set before any trial starts."""
