// The only place Transfuse includes OpenBLAS's headers (Debian's libopenblas-dev), plus the
// few vector kernels of the Transport module that Swift cannot compile for AVX2 on its own
// (Swift targets baseline x86-64): each has a portable twin and is chosen at run time.
#ifndef TRANSFUSE_CBLAS_SHIM_H
#define TRANSFUSE_CBLAS_SHIM_H
#include <cblas.h>

#if defined(__x86_64__) && defined(__clang__)
#include <cpuid.h>

/// 1 when the CPU and the OS support AVX2 and FMA (CPUID leaf 7 / leaf 1, XCR0 YMM state).
static inline int transfuse_has_avx2_fma(void) {
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
    if (!(fma && osxsave && avx)) return 0;
    unsigned int xcr0_lo, xcr0_hi;
    __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    if ((xcr0_lo & 6) != 6) return 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    return (b >> 5) & 1;
}

typedef double transfuse_v4d __attribute__((vector_size(32), aligned(8)));

/// One row of the fused Sinkhorn pass with AVX2/FMA: returns Σ k[j]·v[j].
__attribute__((target("avx2,fma")))
static inline double transfuse_dot_avx2(const double *k, const double *v, long n) {
    transfuse_v4d s0 = {0, 0, 0, 0}, s1 = s0, s2 = s0, s3 = s0;
    long j = 0;
    for (; j + 16 <= n; j += 16) {
        s0 += *(const transfuse_v4d *)(k + j) * *(const transfuse_v4d *)(v + j);
        s1 += *(const transfuse_v4d *)(k + j + 4) * *(const transfuse_v4d *)(v + j + 4);
        s2 += *(const transfuse_v4d *)(k + j + 8) * *(const transfuse_v4d *)(v + j + 8);
        s3 += *(const transfuse_v4d *)(k + j + 12) * *(const transfuse_v4d *)(v + j + 12);
    }
    transfuse_v4d s = (s0 + s1) + (s2 + s3);
    double total = (s[0] + s[1]) + (s[2] + s[3]);
    for (; j < n; j++) total += k[j] * v[j];
    return total;
}

/// `acc[j] += a·k[j]` with AVX2/FMA.
__attribute__((target("avx2,fma")))
static inline void transfuse_axpy_avx2(double a, const double *k, double *acc, long n) {
    long j = 0;
    transfuse_v4d av = {a, a, a, a};
    for (; j + 8 <= n; j += 8) {
        *(transfuse_v4d *)(acc + j) += av * *(const transfuse_v4d *)(k + j);
        *(transfuse_v4d *)(acc + j + 4) += av * *(const transfuse_v4d *)(k + j + 4);
    }
    for (; j < n; j++) acc[j] += a * k[j];
}

typedef float transfuse_v4f __attribute__((vector_size(16), aligned(4)));

/// Σ k[j]·v[j] for a Float row, in double precision, with AVX2/FMA.
__attribute__((target("avx2,fma")))
static inline double transfuse_dot_f32_avx2(const float *k, const double *v, long n) {
    transfuse_v4d s0 = {0, 0, 0, 0}, s1 = s0;
    long j = 0;
    for (; j + 8 <= n; j += 8) {
        s0 += __builtin_convertvector(*(const transfuse_v4f *)(k + j), transfuse_v4d) * *(const transfuse_v4d *)(v + j);
        s1 += __builtin_convertvector(*(const transfuse_v4f *)(k + j + 4), transfuse_v4d) * *(const transfuse_v4d *)(v + j + 4);
    }
    transfuse_v4d s = s0 + s1;
    double total = (s[0] + s[1]) + (s[2] + s[3]);
    for (; j < n; j++) total += (double)k[j] * v[j];
    return total;
}

/// `acc[j] += a·k[j]` for a Float row, in double precision, with AVX2/FMA.
__attribute__((target("avx2,fma")))
static inline void transfuse_axpy_f32_avx2(double a, const float *k, double *acc, long n) {
    long j = 0;
    transfuse_v4d av = {a, a, a, a};
    for (; j + 8 <= n; j += 8) {
        *(transfuse_v4d *)(acc + j) += av * __builtin_convertvector(*(const transfuse_v4f *)(k + j), transfuse_v4d);
        *(transfuse_v4d *)(acc + j + 4) += av * __builtin_convertvector(*(const transfuse_v4f *)(k + j + 4), transfuse_v4d);
    }
    for (; j < n; j++) acc[j] += a * (double)k[j];
}
#endif
#endif
