/* book.c - the matrix-calculus example of Dive into Deep Learning: by
 * forward mode, the Jacobian of L with respect to every input, column by
 * column, then J^T * ones; by reverse mode, one backward sweep seeded with
 * ones. Both give what PyTorch's L.backward(ones) prints: x1: -30,
 * w1: -12, w2: -10 in every entry, from scalar code and from a matrix
 * program. */
#include <stdio.h>
#include <dualjac.h>

#define DJ_TEMPLATE "book.inc"
#include <dualjac/instantiate.h>
#include "book_mat.h"

/* J^T ones from a 4-by-12 Jacobian, printed per input matrix. */
static void print_grads(const char *how, const double *J)
{
    const char *names[3] = { "x1", "w1", "w2" };
    double g[12];
    for (int j = 0; j < 12; ++j) {
        g[j] = 0;
        for (int i = 0; i < 4; ++i)
            g[j] += J[i + j * 4];
    }
    printf("%s, J^T * ones:\n", how);
    for (int b = 0; b < 3; ++b)
        printf("  %s grad: [%g %g; %g %g]\n", names[b], g[4 * b], g[4 * b + 2],
               g[4 * b + 1], g[4 * b + 3]);
}

int main(void)
{
    double Y[4] = { 10, 10, 10, 10 };
    double in[12];
    for (int k = 0; k < 4; ++k) {
        in[k] = 2;       /* x1 */
        in[4 + k] = 5;   /* w1 */
        in[8 + k] = 6;   /* w2 */
    }
    dj_function F = { .n = 12, .m = 4, .user = Y, DJ_FORMS(book) };
    double L[4], J[4 * 12];
    int rc = dj_jacfwd(&F, in, L, J, 4, NULL);
    if (rc != DJ_OK) {
        fprintf(stderr, "dj_jacfwd: %s\n", dj_strerror(rc));
        return 1;
    }
    printf("L = Y - (x1 * w1) * w2 = [%g %g; %g %g]\n", L[0], L[2], L[1], L[3]);
    const char *names[3] = { "x1", "w1", "w2" };
    for (int b = 0; b < 3; ++b) {
        printf("dL/d%s (4 x 4, numerator layout, vec order):\n", names[b]);
        for (int i = 0; i < 4; ++i) {
            printf("   ");
            for (int j = 0; j < 4; ++j)
                printf(" %5g", J[i + (4 * b + j) * 4]);
            printf("\n");
        }
    }
    /* J^T ones: the gradient of sum(L), the backward pass seeded with ones */
    print_grads("forward mode, scalar code", J);

    /* the same function as a matrix program (elementwise ops on 2x2) */
    dj_function M = { .n = 12, .m = 4, .user = Y, .f_mat = book_mat };
    rc = dj_jacfwd(&M, in, L, J, 4, NULL);
    if (rc != DJ_OK) {
        fprintf(stderr, "dj_jacfwd (matrix program): %s\n", dj_strerror(rc));
        return 1;
    }
    print_grads("forward mode, matrix program", J);

    /* reverse mode: one backward sweep seeded with ones, both forms */
    double ones[4] = { 1, 1, 1, 1 }, g[12];
    const dj_function *forms[2] = { &F, &M };
    const char *how[2] = { "reverse mode, scalar code (dj_rvar)", "reverse mode, matrix program" };
    for (int f = 0; f < 2; ++f) {
        rc = dj_vjp(forms[f], in, ones, NULL, g);
        if (rc != DJ_OK) {
            fprintf(stderr, "dj_vjp: %s\n", dj_strerror(rc));
            return 1;
        }
        printf("%s, L.backward(ones):\n", how[f]);
        for (int b = 0; b < 3; ++b)
            printf("  %s grad: [%g %g; %g %g]\n", names[b], g[4 * b], g[4 * b + 2],
                   g[4 * b + 1], g[4 * b + 3]);
    }
    return 0;
}
