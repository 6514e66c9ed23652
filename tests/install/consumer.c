/* consumer.c - uses an installed dualjac: the Jacobian of
 * f(x) = (x0^2 x1, 5 x0 + sin x1) at (1, 2), checked against its formula. */
#include <math.h>
#include <stdio.h>
#include <dualjac.h>

#define BODY(T, name)                                                         \
    static int name(void *u, const T *x, T *y)                                \
    {                                                                         \
        (void)u;                                                              \
        y[0] = dj_mul(dj_mul(x[0], x[0]), x[1]);                              \
        y[1] = dj_add(dj_mul(5.0, x[0]), dj_sin(x[1]));                       \
        return 0;                                                             \
    }
BODY(double, f_real)
BODY(dj_dual, f_dual)
BODY(dj_c8, f_c8)

int main(void)
{
    dj_function F = { .n = 2, .m = 2, .f = f_real, .f_dual = f_dual, .f_c8 = f_c8 };
    double x[2] = { 1, 2 }, y[2], J[4];
    int rc = dj_jacfwd(&F, x, y, J, 2, NULL);
    double want[4] = { 2 * x[0] * x[1], 5, x[0] * x[0], cos(x[1]) };
    for (int k = 0; k < 4; ++k)
        if (rc != DJ_OK || fabs(J[k] - want[k]) > 1e-15) {
            printf("consumer: FAIL (%s)\n", dj_strerror(rc));
            return 1;
        }
    dj_check_report rep;
    rc = dj_check_jacobian(&F, x, J, 2, NULL, &rep, NULL);
    printf("consumer: %s\n", rc == DJ_OK ? "OK" : "FAIL");
    return rc == DJ_OK ? 0 : 1;
}
