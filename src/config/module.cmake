# AEGIS_ORDER 2
# Config schema, loader and printer (include/aegis/config.h) on the TOML parser.
aegis_module(config DEPS util toml)
