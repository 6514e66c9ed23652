/* dualjac/linalg.h - LAPACK-backed matrix operations with forward rules.
 *
 * Same conventions as mat.h: context first, a new matrix back (NULL on
 * failure, the first failure kept in the context). Inputs are checked, in
 * this order, in every mode alike:
 *   - DJ_EARG: a NULL matrix;
 *   - DJ_EDIM: non-square where square is needed, mismatched shapes, sizes
 *     beyond LAPACK's int (n, or n times the p tangent blocks);
 *   - DJ_ENONFINITE: NaN or Inf in the part of an input that LAPACK reads
 *     (every operation here but norm_fro, which propagates them like the
 *     operations of mat.h); LAPACK's behaviour on them is undefined, so
 *     they are never passed on; also an expm whose result overflows (a
 *     derivative that overflows is Inf or NaN, not an error, in every
 *     operation);
 *   - DJ_ESINGULAR: an exactly zero pivot (inv, solve, logdet), a zero
 *     diagonal entry of a triangle (trisolve, cholsolve), a rank-deficient
 *     QR input; det does not fail (the determinant is 0);
 *   - DJ_ENOTSPD: chol of a matrix that is not positive definite;
 *   - DJ_EDOMAIN: repeated eigenvalues or singular values (or a zero one)
 *     where vectors or the nuclear/spectral norm are differentiated. This
 *     is a derivative failure: only in forward and reverse mode, with an
 *     active input; the primal computes the values.
 * Any other non-zero LAPACK info is DJ_ELAPACK (never ignored). One case
 * differs between modes: eigh without V computes only eigenvalues in
 * primal mode but also vectors in forward and reverse mode (the rule needs
 * them); on matrices scaled beyond reason (entries of 1e300 next to
 * 1e-310) the vector computation can fail to converge (DJ_ELAPACK) where
 * the values alone did. The same holds
 * for svd and the nuclear and spectral norms.
 * Ill-conditioning is not an error: a nearly singular matrix gives large,
 * inaccurate results, as LAPACK's do; checking the condition is the
 * caller's. The tangent rules are those of RULES.md; each reuses the
 * primal's factorization, and rules linear in the tangent run as one wide
 * BLAS/LAPACK call over all p blocks (a solve's p tangent right-hand sides
 * go to one getrs). */
#ifndef DUALJAC_LINALG_H
#define DUALJAC_LINALG_H

#include "mat.h"

#ifdef __cplusplus
extern "C" {
#endif

/* C = A^-1 (A n-by-n). dC = -C dA C. Cost: LU + inverse (~2n^3), then
 * 2 GEMMs per tangent block. */
dj_mat *dj_mat_inv(dj_ctx *c, const dj_mat *A);

/* X = A^-1 B (A n-by-n, B n-by-k). dX = A^-1 (dB - dA X): one LU, one getrs
 * for the values and one getrs for all p tangent right-hand sides. */
dj_mat *dj_mat_solve(dj_ctx *c, const dj_mat *A, const dj_mat *B);

/* X = op(T)^-1 B with T triangular (upper != 0: upper, else lower; trans:
 * op(T) = T^T; unit: unit diagonal assumed, T's diagonal not read). Only
 * T's triangle is read, and only its tangent's triangle is used.
 * dX = op(T)^-1 (dB - op(dT) X). */
dj_mat *dj_mat_trisolve(dj_ctx *c, const dj_mat *T, const dj_mat *B, int upper,
                        int trans, int unit);

/* d = det A (1x1). dd = d tr(A^-1 dA); at a singular A the adjugate form
 * keeps the derivative right (det is smooth there). */
dj_mat *dj_mat_det(dj_ctx *c, const dj_mat *A);

/* l = log |det A| (1x1), *sign (may be NULL) = the sign of det A (0 when
 * singular, which fails with DJ_ESINGULAR). dl = tr(A^-1 dA). */
dj_mat *dj_mat_logdet(dj_ctx *c, const dj_mat *A, double *sign);

/* L = chol(A), lower, A = L L^T (A symmetric positive definite; only its
 * lower triangle is read; tangents must be symmetric).
 * dL = L Phi(L^-1 dA L^-T), Phi(X) = tril(X) - diag(X)/2. */
dj_mat *dj_mat_chol(dj_ctx *c, const dj_mat *A);

/* X = (L L^T)^-1 B for a lower-triangular Cholesky factor L (as returned by
 * dj_mat_chol). dX = (L L^T)^-1 (dB - (dL L^T + L dL^T) X). */
dj_mat *dj_mat_cholsolve(dj_ctx *c, const dj_mat *L, const dj_mat *B);

/* Symmetric eigendecomposition A = V diag(lam) V^T (only A's lower triangle
 * is read): returns lam (n-by-1, ascending); *V (may be NULL) gets the
 * eigenvectors. dlam = diag(V^T dA V); dV = V (F o (V^T dA V)),
 * F_ij = 1/(lam_j - lam_i). Vectors of repeated eigenvalues: DJ_EDOMAIN. */
dj_mat *dj_mat_eigh(dj_ctx *c, const dj_mat *A, dj_mat **V);

/* Thin QR of A (m-by-n, m >= n, full rank): returns Q (m-by-n), *R (may be
 * NULL) gets R (n-by-n upper, positive diagonal). */
dj_mat *dj_mat_qr(dj_ctx *c, const dj_mat *A, dj_mat **R);

/* Thin SVD of A (m-by-n, m >= n): returns s (n-by-1, descending); *U
 * (m-by-n) and *V (n-by-n) when non-NULL. Vectors need distinct, non-zero
 * singular values (else DJ_EDOMAIN). */
dj_mat *dj_mat_svd(dj_ctx *c, const dj_mat *A, dj_mat **U, dj_mat **V);

/* C = exp(A) (n-by-n), scaling and squaring with a Pade approximant;
 * dC is the Frechet derivative: the upper-right block of
 * exp([[A, dA], [0, A]]). */
dj_mat *dj_mat_expm(dj_ctx *c, const dj_mat *A);

/* Norms (1x1): Frobenius (derivative <A, dA>/|A|_F, and 0 at A = 0),
 * nuclear (sum of singular values; tr(U^T dA V)), spectral (largest
 * singular value; u1^T dA v1, needs it simple). */
dj_mat *dj_mat_norm_fro(dj_ctx *c, const dj_mat *A);
dj_mat *dj_mat_norm_nuc(dj_ctx *c, const dj_mat *A);
dj_mat *dj_mat_norm_2(dj_ctx *c, const dj_mat *A);

#ifdef __cplusplus
}
#endif

#endif
