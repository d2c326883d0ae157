"""Stub package for evalgraph tests: not vLLM."""
