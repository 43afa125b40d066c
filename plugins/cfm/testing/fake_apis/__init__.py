"""Fake API servers, one module per source, each speaking that source's documented REST protocol."""
