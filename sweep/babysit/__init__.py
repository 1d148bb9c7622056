"""Babysitting one model (panda): train in process and take nudges while it runs."""
