# AEGIS_ORDER 1
# TOML 1.0.0 parser (include/aegis/toml.h), used by the config loader.
aegis_module(toml DEPS util LIBS m)
