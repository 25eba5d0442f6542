# AEGIS_ORDER 0
aegis_module(util LIBS OpenSSL::Crypto Threads::Threads)
