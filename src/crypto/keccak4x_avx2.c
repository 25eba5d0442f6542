/* keccak4x_avx2.c - the four-way Keccak-f[1600] (keccak4x_impl.h) in AVX2:
 * rotations are two shifts and an or, chi is and-not then xor.
 * Compiled with -mavx2 (cmake/pqclean.cmake); called only when
 * aegis__cpu()->level >= AEGIS_CPU_AVX2. */
#include "mlkem_int.h"

#if defined(__x86_64__) && defined(__AVX2__)
#include <immintrin.h>

typedef __m256i V;
#define XOR(a, b)           _mm256_xor_si256(a, b)
#define XOR5(a, b, c, d, e) XOR(XOR(XOR(a, b), XOR(c, d)), e)
#define ROL(x, n)           _mm256_or_si256(_mm256_slli_epi64(x, n), _mm256_srli_epi64(x, 64 - (n)))
#define CHI(a, b, c)        XOR(a, _mm256_andnot_si256(b, c))
#define KX4_NAME            aegis__keccakx4_permute_avx2
#include "keccak4x_impl.h"
#endif
