# AEGIS_ORDER 4
# Key sets (epochs, sealing under the TEE) and key files; docs/internals/keys.md.
aegis_module(keys DEPS crypto tee envelope)
