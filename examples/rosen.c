/* main.c */
#include <stdio.h>
#include <dualjac.h>

#define DJ_TEMPLATE "rosen.inc"          /* found on the include path */
#include <dualjac/instantiate.h>         /* rosen_real, rosen_dual, rosen_c8, ... */

int main(void)
{
    dj_function F = { .n = 2, .m = 2, DJ_FORMS(rosen) };
    double x[2] = { -1.2, 1.0 }, y[2], J[4];       /* J: 2-by-2, column-major */
    int rc = dj_jacfwd(&F, x, y, J, 2, NULL);
    if (rc != DJ_OK) { fprintf(stderr, "%s\n", dj_strerror(rc)); return 1; }
    printf("J = [%g %g; %g %g]\n", J[0], J[2], J[1], J[3]);   /* [24 10; -1 0] */

    dj_check_report rep;                        /* against central differences */
    rc = dj_check_jacobian(&F, x, J, 2, NULL, &rep, NULL);
    dj_check_report_fprint(stdout, &rep);
    return rc != DJ_OK;
}
