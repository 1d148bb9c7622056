"""One module per runner. Each trains a job's configs (the cost bench's workload) or searches a job's space (the
quality bench's peers) in a fresh process and leaves a JSON record: per trial its reports (:mod:`bench.job`)."""
