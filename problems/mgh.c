/* mgh.c - placeholder until the problem library lands (being written). */
#include <string.h>
#include "mgh.h"
size_t mgh_count(void) { return 0; }
const char *mgh_name(size_t i) { (void)i; return NULL; }
int mgh_init(mgh_problem *p, const char *name, size_t n) { (void)p; (void)name; (void)n; return DJ_EARG; }
size_t mgh_nearest_n(const char *name, size_t n) { (void)name; return n; }
void mgh_start(const mgh_problem *p, double factor, double *x) { (void)p; (void)factor; (void)x; }
int mgh_jacobian(const mgh_problem *p, const double *x, double *J, size_t ldj) { (void)p; (void)x; (void)J; (void)ldj; return DJ_EARG; }
