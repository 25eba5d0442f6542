# AEGIS_ORDER 3
# rpc: JSON-RPC 2.0 over HTTP (libmicrohttpd + jansson), /healthz, /metrics,
# and the small HTTP client. Host code: never depends on the trusted core.
aegis_module(rpc DEPS util LIBS PkgConfig::MHD PkgConfig::JANSSON Threads::Threads)
