/* test_status.c - status codes, messages and the allocator hook. */
#include <string.h>
#include "dualjac.h"
#include "dj_test.h"

static void test_strerror(void)
{
    for (int c = 0; c < DJ_STATUS_COUNT_; ++c) {
        const char *m = dj_strerror(c);
        CU_ASSERT_PTR_NOT_NULL_FATAL(m);
        CU_ASSERT(strlen(m) > 3);
        CU_ASSERT(strcmp(m, "unknown status") != 0);
        for (int d = 0; d < c; ++d)          /* every code says something else */
            CU_ASSERT(strcmp(m, dj_strerror(d)) != 0);
    }
    CU_ASSERT_STRING_EQUAL(dj_strerror(DJ_STATUS_COUNT_), "unknown status");
    CU_ASSERT_STRING_EQUAL(dj_strerror(12345), "unknown status");
    CU_ASSERT_PTR_NOT_NULL(strstr(dj_strerror(-1), "callback"));
    CU_ASSERT_EQUAL(DJ_OK, 0);
}

static void *my_malloc(size_t n) { return malloc(n); }

static void test_allocator_args(void)
{
    CU_ASSERT_EQUAL(dj_set_allocator(my_malloc, NULL), DJ_EARG);
    CU_ASSERT_EQUAL(dj_set_allocator(NULL, free), DJ_EARG);
    CU_ASSERT_EQUAL(dj_set_allocator(my_malloc, free), DJ_OK);
    CU_ASSERT_EQUAL(dj_set_allocator(NULL, NULL), DJ_OK);
}

int main(void)
{
    const dj_test_case cases[] = {
        { "dj_strerror covers every code", test_strerror },
        { "dj_set_allocator arguments", test_allocator_args },
        { NULL, NULL },
    };
    return dj_test_run("status", cases);
}
