/* dualjac.h - exact derivatives by forward-mode automatic differentiation.
 * The umbrella header: includes every public header of dualjac. */
#ifndef DUALJAC_H
#define DUALJAC_H

#include "dualjac/status.h"
#include "dualjac/alloc.h"
#include "dualjac/rules.h"
#include "dualjac/dual.h"
#include "dualjac/chunk.h"
#ifndef __cplusplus
#include "dualjac/generic.h"
#endif
#include "dualjac/jacobian.h"
#include "dualjac/check.h"
#include "dualjac/mat.h"
#include "dualjac/linalg.h"

#define DJ_VERSION_MAJOR 0
#define DJ_VERSION_MINOR 1
#define DJ_VERSION_PATCH 0

#endif
