/* alloc.c - the allocator hook: every allocation of dualjac goes through here. */
#include <stdlib.h>
#include "dualjac/alloc.h"
#include "dualjac/status.h"
#include "internal.h"

static dj_malloc_fn dj_malloc_hook = malloc;
static dj_free_fn dj_free_hook = free;

int dj_set_allocator(dj_malloc_fn malloc_fn, dj_free_fn free_fn)
{
    if ((malloc_fn == NULL) != (free_fn == NULL))
        return DJ_EARG;
    dj_malloc_hook = malloc_fn ? malloc_fn : malloc;
    dj_free_hook = free_fn ? free_fn : free;
    return DJ_OK;
}

void *dj_malloc_(size_t size)
{
    return size == SIZE_MAX ? NULL : dj_malloc_hook(size ? size : 1);
}

void dj_free_(void *ptr)
{
    if (ptr)
        dj_free_hook(ptr);
}

dj_free_fn dj_free_hook_(void)
{
    return dj_free_hook;
}
