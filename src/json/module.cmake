# AEGIS_ORDER 1
# The JSON shapes of published records (0x-hex, bounded integers, closed key sets).
aegis_module(json DEPS util LIBS PkgConfig::JANSSON)
