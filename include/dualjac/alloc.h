/* dualjac/alloc.h - the allocator hook.
 *
 * Every allocation dualjac makes goes through one pair of functions, by
 * default malloc and free. dj_set_allocator replaces them (for tracking,
 * pools, or failure injection in tests); passing NULL for both restores
 * malloc and free. Call it before any other dualjac call and not while
 * another thread is inside dualjac: it changes process-wide state.
 * Returns DJ_EARG when exactly one of the two is NULL. */
#ifndef DUALJAC_ALLOC_H
#define DUALJAC_ALLOC_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef void *(*dj_malloc_fn)(size_t size);
typedef void (*dj_free_fn)(void *ptr);

int dj_set_allocator(dj_malloc_fn malloc_fn, dj_free_fn free_fn);

/* The forward drivers keep one workspace per thread between calls (up to
 * 256 KB for the inputs and outputs of a pass, see jacobian.h, and 16 KB
 * for a table of sin and cos results once code takes them), allocated
 * through the hook and freed when the thread exits. dj_workspace_release
 * frees the calling thread's workspace now: before dj_set_allocator
 * replaces the allocator it came from, or to check for leaks. A later
 * driver call allocates it again. Inside a form (a driver running on this
 * thread) it does nothing. */
void dj_workspace_release(void);

#ifdef __cplusplus
}
#endif

#endif
