/* test_book.c - the book's example: forward mode gives the gradients PyTorch
 * prints (x1: -30, w1: -12, w2: -10), through every form. */
#include "dualjac.h"
#include "dj_test.h"

#define DJ_TEMPLATE "book.inc"
#include <dualjac/instantiate.h>

static double Y[4] = { 10, 10, 10, 10 };

static void book_inputs(double *in)
{
    for (int k = 0; k < 4; ++k) {
        in[k] = 2;
        in[4 + k] = 5;
        in[8 + k] = 6;
    }
}

static void check_grads(const double *J)
{
    const double want[3] = { -30, -12, -10 };
    for (int j = 0; j < 12; ++j) {
        double g = 0;
        for (int i = 0; i < 4; ++i) {
            g += J[i + j * 4];
            /* elementwise: dL_i/dinput_j is zero off the diagonal */
            if (i != j % 4)
                CU_ASSERT_EQUAL(J[i + j * 4], 0.0);
        }
        CU_ASSERT_EQUAL(g, want[j / 4]);
    }
}

static void test_book_all_widths(void)
{
    const int widths[] = { 0, 1, 8, 16, 32, 64 };
    double in[12], L[4], J[48];
    book_inputs(in);
    dj_function F = { .n = 12, .m = 4, .user = Y, DJ_FORMS(book) };
    for (size_t w = 0; w < sizeof widths / sizeof *widths; ++w) {
        dj_jac_opts o = { widths[w], 0, NULL, 0, 0 };
        CU_ASSERT_EQUAL(dj_jacfwd(&F, in, L, J, 4, &o), DJ_OK);
        for (int i = 0; i < 4; ++i)
            CU_ASSERT_EQUAL(L[i], -50.0);
        check_grads(J);
    }
}

static void test_book_jvp_ones(void)
{
    /* J v with v = e_j gives column j; the sum over outputs is the gradient */
    double in[12], v[12], jv[4], L[4];
    book_inputs(in);
    dj_function F = { .n = 12, .m = 4, .user = Y, DJ_FORMS(book) };
    const double want[3] = { -30, -12, -10 };
    for (int j = 0; j < 12; ++j) {
        for (int k = 0; k < 12; ++k)
            v[k] = k == j;
        CU_ASSERT_EQUAL(dj_jvp(&F, in, v, L, jv), DJ_OK);
        CU_ASSERT_EQUAL(jv[0] + jv[1] + jv[2] + jv[3], want[j / 4]);
    }
}

int main(void)
{
    const dj_test_case cases[] = {
        { "book example, every width", test_book_all_widths },
        { "book example, JVPs", test_book_jvp_ones },
        { NULL, NULL },
    };
    return dj_test_run("book", cases);
}
