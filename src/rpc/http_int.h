/* http_int.h - the HTTP client's pieces shared by its one-shot requests
 * (http_client.c) and its keep-alive connections (http_conn.c). */
#ifndef AEGIS_HTTP_INT_H
#define AEGIS_HTTP_INT_H

#include <stdint.h>

#include "aegis/http.h"

aegis_err aegis__http_wait_fd(int fd, short ev, uint64_t deadline_ns);
aegis_err aegis__http_dial(const aegis_http_url *u, uint64_t deadline_ns, int *ret_fd);
aegis_err aegis__http_send_all(int fd, const void *p, size_t n, uint64_t deadline_ns);
/* raw: one whole response, NUL-terminated (aegis_buf_cstr). */
aegis_err aegis__http_parse_response(aegis_buf *raw, aegis_http_response *ret);

#endif
