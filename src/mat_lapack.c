/* mat_lapack.c - LU, triangular and Cholesky based operations (being written). */
#include "dualjac/linalg.h"
#include "mat_internal.h"
