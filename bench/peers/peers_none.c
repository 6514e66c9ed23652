/* peers_none.c - the calls of peers.h when no peer was built: there is
 * nothing to time, and peers_why_not() says why (DJ_PEERS_WHY, from CMake). */
#define _POSIX_C_SOURCE 200809L   /* bench.h: clock_gettime */
#include "peers.h"

#ifndef DJ_PEERS_WHY
#define DJ_PEERS_WHY "not configured"
#endif

const char *peers_built(void) { return NULL; }
const char *peers_why_not(void) { return DJ_PEERS_WHY; }
const char *peers_flags(void) { return ""; }

peer_set *peers_mgh(const char *name, size_t n, size_t m, const double *x, const double *Jref)
{
    (void)name; (void)n; (void)m; (void)x; (void)Jref;
    return NULL;
}

peer_set *peers_mat(int kind, size_t n, size_t h, size_t m, const double *W1,
                    const double *b1, const double *W2, const double *x, const double *Jref)
{
    (void)kind; (void)n; (void)h; (void)m; (void)W1; (void)b1; (void)W2; (void)x; (void)Jref;
    return NULL;
}

peer_row *peers_rows(peer_set *s, int *count)
{
    (void)s;
    *count = 0;
    return NULL;
}

void peers_check(peer_set *s) { (void)s; }
void peers_free(peer_set *s) { (void)s; }
