# AEGIS_ORDER 5
# Quantum-risk feed (signed assessments, levels with hysteresis), algorithm
# sets, key-epoch rotation and hand-over records, per-transaction risk.
# docs/internals/risk.md.
aegis_module(risk DEPS json crypto keys mempool LIBS PkgConfig::JANSSON)
