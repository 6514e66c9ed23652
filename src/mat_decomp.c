/* mat_decomp.c - eigen, QR, SVD, matrix exponential, norms (being written). */
#include "dualjac/linalg.h"
#include "mat_internal.h"
