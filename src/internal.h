/* internal.h - private helpers shared by dualjac's sources. */
#ifndef DUALJAC_INTERNAL_H
#define DUALJAC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* Allocation through the hook of alloc.h. dj_free_(NULL) is a no-op. */
void *dj_malloc_(size_t size);
void dj_free_(void *ptr);

/* The cross-pass memo of libm results (detail/memo.h): begin recording
 * (saving the caller's state, for nested drivers), switch to replay at the
 * start of each later pass, end (free, restore). */
struct dj_memo_;
void dj_memo_begin_(struct dj_memo_ *saved);
void dj_memo_replay_(void);
void dj_memo_end_(const struct dj_memo_ *saved);

/* a * b, or SIZE_MAX when it overflows (no real allocation is that big, so
 * the allocation fails and reports DJ_ENOMEM; callers that must report
 * DJ_EDIM test dj_mul_overflows_ first). */
static inline int dj_mul_overflows_(size_t a, size_t b)
{
    return b != 0 && a > SIZE_MAX / b;
}

#endif
