"""CFM: customer feedback management pipeline.

The package is laid out in the order feedback flows through it:
sources -> warehouse -> quality -> privacy -> nlp -> (dbt) -> loop / reporting.
"""

__version__ = "0.1.0"
