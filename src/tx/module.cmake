# AEGIS_ORDER 3
# Ethereum transactions: canonical RLP, legacy/EIP-155/2930/1559 decoding and
# validation (Cancun), sender recovery, token calldata, Aegis extension.
aegis_module(tx DEPS util crypto)

# The upstream TransactionTests sample (tests/vectors/ethtx) through the CLI.
# Generator expressions resolve at generate time, so the aegis target need
# not exist yet when this file is read.
foreach(_f ethtx-sample ethtx-sample-nocancun)
  add_test(NAME ethtx_vectors_${_f}
    COMMAND $<TARGET_FILE:aegis> ethtx ${CMAKE_SOURCE_DIR}/tests/vectors/ethtx/${_f}.jsonl --chain-id 1)
  set_tests_properties(ethtx_vectors_${_f} PROPERTIES LABELS vectors TIMEOUT 120)
endforeach()
