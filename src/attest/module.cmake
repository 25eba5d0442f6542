# AEGIS_ORDER 2
aegis_module(attest DEPS util LIBS OpenSSL::Crypto PkgConfig::JANSSON Threads::Threads)
