"""Trial schedulers, one module each: ASHA, FIFO, PBT."""
