/* book_mat.h - the book's example as a matrix program: the inputs x1, w1,
 * w2 (2x2 each, vec order in x), x2 = x1 o w1, y = x2 o w2, L = Y - y. */
#ifndef BOOK_MAT_H
#define BOOK_MAT_H
#include <dualjac.h>

static int book_mat(void *user, dj_ctx *c, const dj_mat *x, dj_mat **L)
{
    const double *Y = user;
    dj_mat *x1 = dj_mat_reshape(c, dj_mat_slice(c, x, 0, 1, 4), 2, 2);
    dj_mat *w1 = dj_mat_reshape(c, dj_mat_slice(c, x, 4, 1, 4), 2, 2);
    dj_mat *w2 = dj_mat_reshape(c, dj_mat_slice(c, x, 8, 1, 4), 2, 2);
    dj_mat *x2 = dj_mat_emul(c, x1, w1);
    dj_mat *y = dj_mat_emul(c, x2, w2);
    *L = dj_mat_sub(c, dj_mat_view(c, 2, 2, Y), y);
    return 0;      /* a failure inside is in c; the driver reports it */
}
#endif
