# AEGIS_ORDER 3
# Hybrid (ML-KEM-1024 + X25519) transaction envelopes; see docs/internals/envelope.md.
aegis_module(envelope DEPS crypto)
