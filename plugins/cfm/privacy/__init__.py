"""Privacy: pseudonymisation of customer identities and the right to erasure (and, later, retention).

Redaction of free text is the first text step of enrichment: cfm.nlp.redaction.
"""
