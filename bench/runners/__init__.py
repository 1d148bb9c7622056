"""One module per runner. Each trains a workload's configs in a fresh process and leaves a JSON record:
per trial its plan_id, epochs trained, cumulative training seconds and dev_accuracy curve."""
