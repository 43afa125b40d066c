"""Privacy: PII redaction of free text, pseudonymisation of customer identities, erasure."""
