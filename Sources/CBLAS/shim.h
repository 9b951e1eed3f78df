// The only place Transfuse includes OpenBLAS's headers (Debian's libopenblas-dev), plus the
// few vector kernels of the Transport module that Swift cannot compile for AVX2 or AVX-512 on
// its own (Swift targets baseline x86-64): each has a portable twin and is chosen at run time.
#ifndef TRANSFUSE_CBLAS_SHIM_H
#define TRANSFUSE_CBLAS_SHIM_H
#include <cblas.h>
#include <immintrin.h>

/// OpenBLAS's name for the kernels it chose at load time ("SkylakeX", "Haswell", "Prescott", ...).
static inline const char *transfuse_openblas_core(void) {
    return openblas_get_corename();
}

/// LAPACK's `dposv` (bundled in OpenBLAS): solves `A·X = B` for a symmetric positive definite
/// `A` (`n × n`) by Cholesky, column-major; `B` (`n × nrhs`) is overwritten by `X`. `info > 0`:
/// `A` is not positive definite.
void dposv_(const char *uplo, const int *n, const int *nrhs, double *a, const int *lda, double *b,
            const int *ldb, int *info);

/// `*p += 1`, returning the old value (relaxed atomic): hands out row blocks to worker threads.
static inline long transfuse_fetch_increment(long *p) {
    return __atomic_fetch_add(p, 1, __ATOMIC_RELAXED);
}

// Synchronisation of the Sinkhorn worker team (SpinTeam.swift): a thousand passes of a fraction
// of a millisecond each, where waking sleeping threads (futex, Dispatch) would cost 20 µs per
// pass on these machines. Waiters spin with the CPU's pause hint, then yield the core, so a
// loaded machine still makes progress.
#include <sched.h>
#include <time.h>

/// Atomic load with acquire ordering.
static inline long transfuse_atomic_load(const long *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }

/// Atomic store with release ordering.
static inline void transfuse_atomic_store(long *p, long value) { __atomic_store_n(p, value, __ATOMIC_RELEASE); }

/// `*p += delta` (acquire-release), returning the new value.
static inline long transfuse_atomic_add(long *p, long delta) { return __atomic_add_fetch(p, delta, __ATOMIC_ACQ_REL); }

/// One spin of a waiting loop: the pause hint for the first 4096 spins, then `sched_yield` for
/// 4096 more, then sleeps of 50 µs (a member idle for milliseconds stops using its core).
static inline void transfuse_spin_once(long *spins) {
    long n = ++*spins;
    if (n < 4096) {
#if defined(__x86_64__)
        __builtin_ia32_pause();
#elif defined(__aarch64__)
        __asm__ volatile("yield");
#endif
    } else if (n < 8192) {
        sched_yield();
    } else {
        struct timespec pause = {0, 50000};
        nanosleep(&pause, 0);
    }
}

/// Waits until `*p != seen` and returns the new value (acquire).
static inline long transfuse_wait_change(const long *p, long seen) {
    long spins = 0, value;
    while ((value = __atomic_load_n(p, __ATOMIC_ACQUIRE)) == seen) transfuse_spin_once(&spins);
    return value;
}

/// Waits until `*p == target` (acquire).
static inline void transfuse_wait_equal(const long *p, long target) {
    long spins = 0;
    while (__atomic_load_n(p, __ATOMIC_ACQUIRE) != target) transfuse_spin_once(&spins);
}

// Sparse shortest augmenting paths for the assignment solver (LinearAssignment+Sparse.swift):
// portable C, because the heaps below are the inner loop of the search.

/// The `k` columns of least `c[j] - v[j]` in one row of `n` (ties to the lower column), written
/// to `out` in no particular order; `values` is scratch of `k` doubles. Returns min(k, n).
static inline long transfuse_lap_candidates(const double *c, const double *v, long n, long k, long *out,
                                            double *values) {
    if (k > n) k = n;
    long count = 0;
    for (long j = 0; j < n; j++) {
        double h = c[j] - v[j];
        long at;
        if (count < k) {
            at = count++;
            while (at > 0) {  // sift up (max-heap: larger value, or equal value and later column, on top)
                long p = (at - 1) / 2;
                if (!(values[p] < h || (values[p] == h && out[p] < j))) break;
                values[at] = values[p]; out[at] = out[p]; at = p;
            }
        } else {
            if (!(h < values[0])) continue;
            at = 0;
            for (;;) {  // sift down from the root
                long l = 2 * at + 1, r = l + 1, top = -1;
                double tv = h; long tj = j;
                if (l < k && (values[l] > tv || (values[l] == tv && out[l] > tj))) { top = l; tv = values[l]; tj = out[l]; }
                if (r < k && (values[r] > tv || (values[r] == tv && out[r] > tj))) { top = r; }
                if (top < 0) break;
                values[at] = values[top]; out[at] = out[top]; at = top;
            }
        }
        values[at] = h; out[at] = j;
    }
    return count;
}

/// Dijkstra from free row `f` over reduced costs on the candidate graph (row `i`'s columns are
/// `cols[start[i] ..< start[i + 1]]`, their costs `costs[...]` the same entries of `c`), to the
/// nearest free column (`y[j] < 0`); then the prices of the scanned columns are updated and the
/// path augmented, as in the dense search. The queue is a 4-ary heap of (distance, column)
/// pairs, least first; a column is pushed again when its distance drops (only ever to a smaller
/// pair) and its stale entries are skipped when popped. So the pop order is the pairs' order,
/// whatever the heap's shape. Scratch:
/// `d` (n, all +inf on entry and on return), `scanned` (n, all 0 on entry and return), `pred`
/// (n), `touched` and `settled` (n each), `heapKey`/`heapCol` (capacity `heapCapacity`).
/// Returns 1 when augmented, 0 when no free column is reachable, -1 when the heap is too small.
static inline int transfuse_lap_sparse_augment(long f, long n, const double *c, const long *start, const long *cols,
                                               const double *costs,
                                               long *x, long *y, double *v, double *d, char *scanned, long *pred,
                                               long *touched, long *settled, double *heapKey, long *heapCol,
                                               long heapCapacity) {
    long nt = 0, ns = 0, hn = 0, end = -1;
    double endDistance = 0;
    int status = 0;
#define TRANSFUSE_HEAP_BELOW(ka, ja, kb, jb) ((ka) < (kb) || ((ka) == (kb) && (ja) < (jb)))
#define TRANSFUSE_HEAP_PUSH(key, col) do { \
        if (hn == heapCapacity) { status = -1; goto done; } \
        long at_ = hn++; \
        while (at_ > 0) { long p_ = (at_ - 1) / 4; \
            if (!TRANSFUSE_HEAP_BELOW(key, col, heapKey[p_], heapCol[p_])) break; \
            heapKey[at_] = heapKey[p_]; heapCol[at_] = heapCol[p_]; at_ = p_; } \
        heapKey[at_] = key; heapCol[at_] = col; } while (0)
    for (long e = start[f]; e < start[f + 1]; e++) {
        long j = cols[e];
        double h = costs[e] - v[j];
        d[j] = h; pred[j] = f; touched[nt++] = j;
        TRANSFUSE_HEAP_PUSH(h, j);
    }
    while (hn > 0) {
        double key = heapKey[0]; long j = heapCol[0];
        // pop: move the last entry down from the root
        hn--;
        if (hn > 0) {
            double lk = heapKey[hn]; long lj = heapCol[hn]; long at = 0;
            for (;;) {
                long first = 4 * at + 1, last = first + 4 < hn ? first + 4 : hn, top = -1;
                double tk = lk; long tj = lj;
                for (long q = first; q < last; q++) {
                    if (TRANSFUSE_HEAP_BELOW(heapKey[q], heapCol[q], tk, tj)) { top = q; tk = heapKey[q]; tj = heapCol[q]; }
                }
                if (top < 0) break;
                heapKey[at] = heapKey[top]; heapCol[at] = heapCol[top]; at = top;
            }
            heapKey[at] = lk; heapCol[at] = lj;
        }
        if (scanned[j] || key > d[j]) continue;
        if (y[j] < 0) { end = j; endDistance = key; break; }
        scanned[j] = 1; settled[ns++] = j;
        long i = y[j];
        double u1 = c[i * n + j] - v[j] - key;
        for (long e = start[i]; e < start[i + 1]; e++) {
            long k = cols[e];
            if (scanned[k]) continue;
            double h = costs[e] - v[k] - u1;
            if (h < d[k]) {
                if (d[k] == __builtin_inf()) touched[nt++] = k;
                d[k] = h; pred[k] = i;
                TRANSFUSE_HEAP_PUSH(h, k);
            }
        }
    }
    if (end >= 0) {
        for (long s = 0; s < ns; s++) { long j = settled[s]; v[j] += d[j] - endDistance; }
        long j = end;
        for (;;) {
            long i = pred[j];
            y[j] = i;
            long previous = x[i];
            x[i] = j;
            if (i == f) break;
            j = previous;
        }
        status = 1;
    }
done:
    for (long t = 0; t < nt; t++) { d[touched[t]] = __builtin_inf(); scanned[touched[t]] = 0; }
    return status;
#undef TRANSFUSE_HEAP_PUSH
#undef TRANSFUSE_HEAP_BELOW
}

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

/// 1 when the CPU and the OS support AVX-512F (CPUID leaf 7 EBX bit 16; XCR0 opmask and ZMM
/// state), on top of AVX2 and FMA.
static inline int transfuse_has_avx512f(void) {
    if (!transfuse_has_avx2_fma()) return 0;
    unsigned int a, b, c, d;
    unsigned int xcr0_lo, xcr0_hi;
    __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    if ((xcr0_lo & 0xE6) != 0xE6) return 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    return (b >> 16) & 1;
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
// Four-row blocks of the fused Sinkhorn pass: the four rows `k`, `k + ld`, `k + 2ld`, `k + 3ld`
// share one load of `v` (dot) and one load and store of the accumulator (axpy), which halves the
// load/store traffic per row against the one-row kernels above.

/// `out[r] = Σⱼ k[r·ld + j]·v[j]` for `r` in 0..<4, with AVX2/FMA.
__attribute__((target("avx2,fma")))
static inline void transfuse_dot4_avx2(const double *k, long ld, const double *v, long n, double *out) {
    const double *k0 = k, *k1 = k + ld, *k2 = k + 2 * ld, *k3 = k + 3 * ld;
    transfuse_v4d a0 = {0, 0, 0, 0}, a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
    long j = 0;
    for (; j + 8 <= n; j += 8) {
        transfuse_v4d x = *(const transfuse_v4d *)(v + j), y = *(const transfuse_v4d *)(v + j + 4);
        a0 += *(const transfuse_v4d *)(k0 + j) * x; b0 += *(const transfuse_v4d *)(k0 + j + 4) * y;
        a1 += *(const transfuse_v4d *)(k1 + j) * x; b1 += *(const transfuse_v4d *)(k1 + j + 4) * y;
        a2 += *(const transfuse_v4d *)(k2 + j) * x; b2 += *(const transfuse_v4d *)(k2 + j + 4) * y;
        a3 += *(const transfuse_v4d *)(k3 + j) * x; b3 += *(const transfuse_v4d *)(k3 + j + 4) * y;
    }
    a0 += b0; a1 += b1; a2 += b2; a3 += b3;
    double t0 = (a0[0] + a0[1]) + (a0[2] + a0[3]), t1 = (a1[0] + a1[1]) + (a1[2] + a1[3]);
    double t2 = (a2[0] + a2[1]) + (a2[2] + a2[3]), t3 = (a3[0] + a3[1]) + (a3[2] + a3[3]);
    for (; j < n; j++) { t0 += k0[j] * v[j]; t1 += k1[j] * v[j]; t2 += k2[j] * v[j]; t3 += k3[j] * v[j]; }
    out[0] = t0; out[1] = t1; out[2] = t2; out[3] = t3;
}

/// `acc[j] += Σᵣ a[r]·k[r·ld + j]` for `r` in 0..<4, with AVX2/FMA.
__attribute__((target("avx2,fma")))
static inline void transfuse_axpy4_avx2(const double *a, const double *k, long ld, double *acc, long n) {
    const double *k0 = k, *k1 = k + ld, *k2 = k + 2 * ld, *k3 = k + 3 * ld;
    transfuse_v4d u0 = {a[0], a[0], a[0], a[0]}, u1 = {a[1], a[1], a[1], a[1]};
    transfuse_v4d u2 = {a[2], a[2], a[2], a[2]}, u3 = {a[3], a[3], a[3], a[3]};
    long j = 0;
    for (; j + 8 <= n; j += 8) {
        transfuse_v4d s = *(transfuse_v4d *)(acc + j), t = *(transfuse_v4d *)(acc + j + 4);
        s += u0 * *(const transfuse_v4d *)(k0 + j); t += u0 * *(const transfuse_v4d *)(k0 + j + 4);
        s += u1 * *(const transfuse_v4d *)(k1 + j); t += u1 * *(const transfuse_v4d *)(k1 + j + 4);
        s += u2 * *(const transfuse_v4d *)(k2 + j); t += u2 * *(const transfuse_v4d *)(k2 + j + 4);
        s += u3 * *(const transfuse_v4d *)(k3 + j); t += u3 * *(const transfuse_v4d *)(k3 + j + 4);
        *(transfuse_v4d *)(acc + j) = s; *(transfuse_v4d *)(acc + j + 4) = t;
    }
    for (; j < n; j++) acc[j] = (((acc[j] + a[0] * k0[j]) + a[1] * k1[j]) + a[2] * k2[j]) + a[3] * k3[j];
}

typedef double transfuse_v8d __attribute__((vector_size(64), aligned(8)));

/// Lines of each of the next four rows that a four-row axpy prefetches (1 KiB): enough for the
/// hardware prefetcher to be streaming them by the time the next four-row dot reads them, so
/// memory keeps working while the axpy runs from the L2 cache (5–8% per pass on a kernel larger
/// than the L3 cache; no effect on one that fits).
#define TRANSFUSE_PREFETCH_LINES 16

/// Prefetches line `line` (64 bytes) of the four rows starting at `next`, `ld_bytes` apart.
static inline void transfuse_prefetch_line4(const void *next, long ld_bytes, long line) {
    const char *p = (const char *)next + line * 64;
    __builtin_prefetch(p, 0, 3);
    __builtin_prefetch(p + ld_bytes, 0, 3);
    __builtin_prefetch(p + 2 * ld_bytes, 0, 3);
    __builtin_prefetch(p + 3 * ld_bytes, 0, 3);
}

/// `out[r] = Σⱼ k[r·ld + j]·v[j]` for `r` in 0..<4, with AVX-512F.
__attribute__((target("avx512f")))
static inline void transfuse_dot4_avx512(const double *k, long ld, const double *v, long n, double *out) {
    const double *k0 = k, *k1 = k + ld, *k2 = k + 2 * ld, *k3 = k + 3 * ld;
    transfuse_v8d a0 = {0, 0, 0, 0, 0, 0, 0, 0}, a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
    long j = 0;
    for (; j + 16 <= n; j += 16) {
        transfuse_v8d x = *(const transfuse_v8d *)(v + j), y = *(const transfuse_v8d *)(v + j + 8);
        a0 += *(const transfuse_v8d *)(k0 + j) * x; b0 += *(const transfuse_v8d *)(k0 + j + 8) * y;
        a1 += *(const transfuse_v8d *)(k1 + j) * x; b1 += *(const transfuse_v8d *)(k1 + j + 8) * y;
        a2 += *(const transfuse_v8d *)(k2 + j) * x; b2 += *(const transfuse_v8d *)(k2 + j + 8) * y;
        a3 += *(const transfuse_v8d *)(k3 + j) * x; b3 += *(const transfuse_v8d *)(k3 + j + 8) * y;
    }
    a0 += b0; a1 += b1; a2 += b2; a3 += b3;
    transfuse_v4d c0 = __builtin_shufflevector(a0, a0, 0, 1, 2, 3) + __builtin_shufflevector(a0, a0, 4, 5, 6, 7);
    transfuse_v4d c1 = __builtin_shufflevector(a1, a1, 0, 1, 2, 3) + __builtin_shufflevector(a1, a1, 4, 5, 6, 7);
    transfuse_v4d c2 = __builtin_shufflevector(a2, a2, 0, 1, 2, 3) + __builtin_shufflevector(a2, a2, 4, 5, 6, 7);
    transfuse_v4d c3 = __builtin_shufflevector(a3, a3, 0, 1, 2, 3) + __builtin_shufflevector(a3, a3, 4, 5, 6, 7);
    for (; j + 4 <= n; j += 4) {
        transfuse_v4d x = *(const transfuse_v4d *)(v + j);
        c0 += *(const transfuse_v4d *)(k0 + j) * x; c1 += *(const transfuse_v4d *)(k1 + j) * x;
        c2 += *(const transfuse_v4d *)(k2 + j) * x; c3 += *(const transfuse_v4d *)(k3 + j) * x;
    }
    double t0 = (c0[0] + c0[1]) + (c0[2] + c0[3]), t1 = (c1[0] + c1[1]) + (c1[2] + c1[3]);
    double t2 = (c2[0] + c2[1]) + (c2[2] + c2[3]), t3 = (c3[0] + c3[1]) + (c3[2] + c3[3]);
    for (; j < n; j++) { t0 += k0[j] * v[j]; t1 += k1[j] * v[j]; t2 += k2[j] * v[j]; t3 += k3[j] * v[j]; }
    out[0] = t0; out[1] = t1; out[2] = t2; out[3] = t3;
}

/// `acc[j] += Σᵣ a[r]·k[r·ld + j]` for `r` in 0..<4, with AVX-512F.
__attribute__((target("avx512f")))
static inline void transfuse_axpy4_avx512(const double *a, const double *k, long ld, double *acc, long n, const double *next) {
    const double *k0 = k, *k1 = k + ld, *k2 = k + 2 * ld, *k3 = k + 3 * ld;
    transfuse_v8d u0 = {a[0], a[0], a[0], a[0], a[0], a[0], a[0], a[0]}, u1 = {a[1], a[1], a[1], a[1], a[1], a[1], a[1], a[1]};
    transfuse_v8d u2 = {a[2], a[2], a[2], a[2], a[2], a[2], a[2], a[2]}, u3 = {a[3], a[3], a[3], a[3], a[3], a[3], a[3], a[3]};
    long j = 0;
    for (; j + 16 <= n; j += 16) {
        if (next && j < 16 * TRANSFUSE_PREFETCH_LINES) transfuse_prefetch_line4(next, ld * 8, j / 16);
        transfuse_v8d s = *(transfuse_v8d *)(acc + j), t = *(transfuse_v8d *)(acc + j + 8);
        s += u0 * *(const transfuse_v8d *)(k0 + j); t += u0 * *(const transfuse_v8d *)(k0 + j + 8);
        s += u1 * *(const transfuse_v8d *)(k1 + j); t += u1 * *(const transfuse_v8d *)(k1 + j + 8);
        s += u2 * *(const transfuse_v8d *)(k2 + j); t += u2 * *(const transfuse_v8d *)(k2 + j + 8);
        s += u3 * *(const transfuse_v8d *)(k3 + j); t += u3 * *(const transfuse_v8d *)(k3 + j + 8);
        *(transfuse_v8d *)(acc + j) = s; *(transfuse_v8d *)(acc + j + 8) = t;
    }
    for (; j < n; j++) acc[j] = (((acc[j] + a[0] * k0[j]) + a[1] * k1[j]) + a[2] * k2[j]) + a[3] * k3[j];
}
typedef float transfuse_v8f __attribute__((vector_size(32), aligned(4)));

/// `transfuse_dot4_avx512` for a Float kernel (each entry widened to double), AVX-512F.
__attribute__((target("avx512f")))
static inline void transfuse_dot4_f32_avx512(const float *k, long ld, const double *v, long n, double *out) {
    const float *k0 = k, *k1 = k + ld, *k2 = k + 2 * ld, *k3 = k + 3 * ld;
    transfuse_v8d a0 = {0, 0, 0, 0, 0, 0, 0, 0}, a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
    long j = 0;
    for (; j + 16 <= n; j += 16) {
        transfuse_v8d x = *(const transfuse_v8d *)(v + j), y = *(const transfuse_v8d *)(v + j + 8);
        a0 += __builtin_convertvector(*(const transfuse_v8f *)(k0 + j), transfuse_v8d) * x;
        b0 += __builtin_convertvector(*(const transfuse_v8f *)(k0 + j + 8), transfuse_v8d) * y;
        a1 += __builtin_convertvector(*(const transfuse_v8f *)(k1 + j), transfuse_v8d) * x;
        b1 += __builtin_convertvector(*(const transfuse_v8f *)(k1 + j + 8), transfuse_v8d) * y;
        a2 += __builtin_convertvector(*(const transfuse_v8f *)(k2 + j), transfuse_v8d) * x;
        b2 += __builtin_convertvector(*(const transfuse_v8f *)(k2 + j + 8), transfuse_v8d) * y;
        a3 += __builtin_convertvector(*(const transfuse_v8f *)(k3 + j), transfuse_v8d) * x;
        b3 += __builtin_convertvector(*(const transfuse_v8f *)(k3 + j + 8), transfuse_v8d) * y;
    }
    a0 += b0; a1 += b1; a2 += b2; a3 += b3;
    double t0 = 0, t1 = 0, t2 = 0, t3 = 0;
    for (int r = 0; r < 8; r++) { t0 += a0[r]; t1 += a1[r]; t2 += a2[r]; t3 += a3[r]; }
    for (; j < n; j++) {
        t0 += (double)k0[j] * v[j]; t1 += (double)k1[j] * v[j]; t2 += (double)k2[j] * v[j]; t3 += (double)k3[j] * v[j];
    }
    out[0] = t0; out[1] = t1; out[2] = t2; out[3] = t3;
}

/// `transfuse_axpy4_avx512` for a Float kernel (each entry widened to double), AVX-512F.
__attribute__((target("avx512f")))
static inline void transfuse_axpy4_f32_avx512(const double *a, const float *k, long ld, double *acc, long n, const float *next) {
    const float *k0 = k, *k1 = k + ld, *k2 = k + 2 * ld, *k3 = k + 3 * ld;
    transfuse_v8d u0 = {a[0], a[0], a[0], a[0], a[0], a[0], a[0], a[0]}, u1 = {a[1], a[1], a[1], a[1], a[1], a[1], a[1], a[1]};
    transfuse_v8d u2 = {a[2], a[2], a[2], a[2], a[2], a[2], a[2], a[2]}, u3 = {a[3], a[3], a[3], a[3], a[3], a[3], a[3], a[3]};
    long j = 0;
    for (; j + 8 <= n; j += 8) {
        if (next && (j & 15) == 0 && j < 16 * TRANSFUSE_PREFETCH_LINES) transfuse_prefetch_line4(next, ld * 4, j / 16);
        transfuse_v8d s = *(transfuse_v8d *)(acc + j);
        s += u0 * __builtin_convertvector(*(const transfuse_v8f *)(k0 + j), transfuse_v8d);
        s += u1 * __builtin_convertvector(*(const transfuse_v8f *)(k1 + j), transfuse_v8d);
        s += u2 * __builtin_convertvector(*(const transfuse_v8f *)(k2 + j), transfuse_v8d);
        s += u3 * __builtin_convertvector(*(const transfuse_v8f *)(k3 + j), transfuse_v8d);
        *(transfuse_v8d *)(acc + j) = s;
    }
    for (; j < n; j++) {
        acc[j] = (((acc[j] + a[0] * (double)k0[j]) + a[1] * (double)k1[j]) + a[2] * (double)k2[j]) + a[3] * (double)k3[j];
    }
}

typedef long long transfuse_v8l __attribute__((vector_size(64), aligned(8)));

/// `exp(x[j] / divisor)` for 8 lanes (the division as POT's `M / (-reg)`), within about 2 ulp
/// of the correctly rounded value; `0` where the quotient is below −745.2 (the same algorithm
/// as `Kernels.exp` in Swift: Cody–Waite reduction, degree-13 Taylor polynomial, `2^k` from
/// exponent bits in two halves so that subnormal results are exact). AVX-512F.
__attribute__((target("avx512f")))
static inline transfuse_v8d transfuse_exp_quotient8(transfuse_v8d x, double divisor) {
    const transfuse_v8d shifter = {6755399441055744.0, 6755399441055744.0, 6755399441055744.0, 6755399441055744.0,
                                   6755399441055744.0, 6755399441055744.0, 6755399441055744.0, 6755399441055744.0};
    transfuse_v8d q = x / divisor;
    transfuse_v8d lo = shifter * 0 - 745.5, hi = shifter * 0 + 709.7;
    transfuse_v8d xc = __builtin_elementwise_min(__builtin_elementwise_max(q, lo), hi);
    transfuse_v8d t = xc * 1.4426950408889634 + shifter;
    transfuse_v8d kd = t - shifter;
    transfuse_v8d r = (xc - kd * 0.6931471803691238) - kd * 1.9082149292705877e-10;
    transfuse_v8d p = shifter * 0 + 1.0 / 6227020800.0;
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    transfuse_v8l k = (transfuse_v8l)t - (transfuse_v8l)shifter;
    transfuse_v8l k1 = k >> 1, k2 = k - k1;
    transfuse_v8d s1 = (transfuse_v8d)((k1 + 1023) << 52), s2 = (transfuse_v8d)((k2 + 1023) << 52);
    transfuse_v8d e = p * s1 * s2;
    transfuse_v8l underflow = q < -745.2;  // all ones where the result is 0
    return (transfuse_v8d)((transfuse_v8l)e & ~underflow);
}

/// `out[j] = exp(x[j] / divisor)` for `n` entries (see `transfuse_exp_quotient8`). AVX-512F.
__attribute__((target("avx512f")))
static inline void transfuse_exp_quotient_avx512(const double *x, double divisor, double *out, long n) {
    long j = 0;
    for (; j + 8 <= n; j += 8) *(transfuse_v8d *)(out + j) = transfuse_exp_quotient8(*(const transfuse_v8d *)(x + j), divisor);
    if (j < n) {
        transfuse_v8d tail = {0, 0, 0, 0, 0, 0, 0, 0};
        for (long l = 0; j + l < n; l++) tail[l] = x[j + l];
        tail = transfuse_exp_quotient8(tail, divisor);
        for (long l = 0; j + l < n; l++) out[j + l] = tail[l];
    }
}

/// `transfuse_exp_quotient_avx512` rounded to `float`. AVX-512F.
__attribute__((target("avx512f")))
static inline void transfuse_exp_quotient_f32_avx512(const double *x, double divisor, float *out, long n) {
    long j = 0;
    for (; j + 8 <= n; j += 8) {
        *(transfuse_v8f *)(out + j) = __builtin_convertvector(transfuse_exp_quotient8(*(const transfuse_v8d *)(x + j), divisor), transfuse_v8f);
    }
    if (j < n) {
        transfuse_v8d tail = {0, 0, 0, 0, 0, 0, 0, 0};
        for (long l = 0; j + l < n; l++) tail[l] = x[j + l];
        tail = transfuse_exp_quotient8(tail, divisor);
        for (long l = 0; j + l < n; l++) out[j + l] = (float)tail[l];
    }
}

// Kernels of the linear assignment solver (Jonker–Volgenant). Both keep the exact arithmetic,
// comparisons and tie rules of the scalar loops they replace, so the solver's choices are the
// same bit for bit.

/// Relaxation step of the shortest-path search, for one scanned row: for every column `j` with
/// `h = (c[j] − v[j]) − u1 < d[j]`, sets `d[j] = h`, `pred[j] = row`, and lists `j` in `hits`
/// (ascending) when `h == target`. Columns outside the search hold `d = −∞`. Returns the number
/// of hits. AVX-512F; the updates are masked stores (no scalar pass over the changed lanes: a
/// 3072² assignment 0.34 → 0.29 s), and the row is prefetched 4 KiB ahead within its bounds
/// (rows come mostly from memory; 3072²: 0.29 → 0.23 s, 8 KiB ahead or past the row's end
/// did worse).
__attribute__((target("avx512f")))
static inline long transfuse_lap_relax_avx512(const double *c, const double *v, double *d, long *pred, long row,
                                              double u1, double target, long *hits, long n) {
    long count = 0, j = 0;
    __m512d uu = _mm512_set1_pd(u1), tt = _mm512_set1_pd(target);
    __m512i rr = _mm512_set1_epi64(row);
    for (; j + 8 <= n; j += 8) {
        if (j + 512 < n) _mm_prefetch((const char *)(c + j + 512), _MM_HINT_T0);
        __m512d h = _mm512_sub_pd(_mm512_sub_pd(_mm512_loadu_pd(c + j), _mm512_loadu_pd(v + j)), uu);
        __mmask8 lt = _mm512_cmp_pd_mask(h, _mm512_loadu_pd(d + j), _CMP_LT_OQ);
        if (lt) {
            _mm512_mask_storeu_pd(d + j, lt, h);
            _mm512_mask_storeu_epi64(pred + j, lt, rr);
            __mmask8 eq = _mm512_mask_cmp_pd_mask(lt, h, tt, _CMP_EQ_OQ);
            while (eq) {
                int r = __builtin_ctz(eq);
                hits[count++] = j + r;
                eq &= eq - 1;
            }
        }
    }
    for (; j < n; j++) {
        double h = (c[j] - v[j]) - u1;
        if (h < d[j]) { d[j] = h; pred[j] = row; if (h == target) hits[count++] = j; }
    }
    return count;
}

/// `transfuse_lap_relax_avx512` with AVX2.
__attribute__((target("avx2,fma")))
static inline long transfuse_lap_relax_avx2(const double *c, const double *v, double *d, long *pred, long row,
                                            double u1, double target, long *hits, long n) {
    long count = 0, j = 0;
    transfuse_v4d uu = {u1, u1, u1, u1};
    for (; j + 8 <= n; j += 8) {
        transfuse_v4d h0 = (*(const transfuse_v4d *)(c + j) - *(const transfuse_v4d *)(v + j)) - uu;
        transfuse_v4d h1 = (*(const transfuse_v4d *)(c + j + 4) - *(const transfuse_v4d *)(v + j + 4)) - uu;
        long __attribute__((vector_size(32))) l0 = h0 < *(const transfuse_v4d *)(d + j);
        long __attribute__((vector_size(32))) l1 = h1 < *(const transfuse_v4d *)(d + j + 4);
        long __attribute__((vector_size(32))) any = l0 | l1;
        if ((any[0] | any[1]) | (any[2] | any[3])) {
            for (int r = 0; r < 4; r++) {
                if (l0[r]) { d[j + r] = h0[r]; pred[j + r] = row; if (h0[r] == target) hits[count++] = j + r; }
            }
            for (int r = 0; r < 4; r++) {
                if (l1[r]) { d[j + 4 + r] = h1[r]; pred[j + 4 + r] = row; if (h1[r] == target) hits[count++] = j + 4 + r; }
            }
        }
    }
    for (; j < n; j++) {
        double h = (c[j] - v[j]) - u1;
        if (h < d[j]) { d[j] = h; pred[j] = row; if (h == target) hits[count++] = j; }
    }
    return count;
}

/// Column reduction step of the assignment solver, for row `i`: every `j` with
/// `row[j] < colMin[j]` takes `colMin[j] = row[j]`, `colArg[j] = i` (strict: the first row at a
/// column's minimum keeps it). AVX-512F, masked stores.
__attribute__((target("avx512f")))
static inline void transfuse_lap_column_min_avx512(const double *row, double *colMin, long *colArg, long i, long n) {
    __m512i ii = _mm512_set1_epi64(i);
    long j = 0;
    for (; j + 8 <= n; j += 8) {
        __m512d r = _mm512_loadu_pd(row + j);
        __mmask8 lt = _mm512_cmp_pd_mask(r, _mm512_loadu_pd(colMin + j), _CMP_LT_OQ);
        if (lt) {
            _mm512_mask_storeu_pd(colMin + j, lt, r);
            _mm512_mask_storeu_epi64(colArg + j, lt, ii);
        }
    }
    for (; j < n; j++) if (row[j] < colMin[j]) { colMin[j] = row[j]; colArg[j] = i; }
}

/// `min over j in [lo, hi) of c[j] − v[j]` (+∞ for an empty range). AVX-512F.
__attribute__((target("avx512f")))
static inline double transfuse_lap_min_avx512(const double *c, const double *v, long lo, long hi) {
    double inf = __builtin_inf();
    __m512d m0 = _mm512_set1_pd(inf), m1 = m0;
    long j = lo;
    for (; j + 16 <= hi; j += 16) {
        m0 = _mm512_min_pd(_mm512_sub_pd(_mm512_loadu_pd(c + j), _mm512_loadu_pd(v + j)), m0);
        m1 = _mm512_min_pd(_mm512_sub_pd(_mm512_loadu_pd(c + j + 8), _mm512_loadu_pd(v + j + 8)), m1);
    }
    double m = _mm512_reduce_min_pd(_mm512_min_pd(m1, m0));
    for (; j < hi; j++) { double h = c[j] - v[j]; if (h < m) m = h; }
    return m;
}

/// First `j` in `[lo, hi)` with `c[j] − v[j] == value`, or −1. AVX-512F.
__attribute__((target("avx512f")))
static inline long transfuse_lap_find_avx512(const double *c, const double *v, long lo, long hi, double value) {
    transfuse_v8d x = {value, value, value, value, value, value, value, value};
    long j = lo;
    for (; j + 8 <= hi; j += 8) {
        transfuse_v8d h = *(const transfuse_v8d *)(c + j) - *(const transfuse_v8d *)(v + j);
        long __attribute__((vector_size(64))) eq = h == x;
        if ((eq[0] | eq[1]) | (eq[2] | eq[3]) | (eq[4] | eq[5]) | (eq[6] | eq[7])) {
            for (int r = 0; r < 8; r++) if (eq[r]) return j + r;
        }
    }
    for (; j < hi; j++) if (c[j] - v[j] == value) return j;
    return -1;
}

/// `transfuse_lap_min_avx512` with AVX2.
__attribute__((target("avx2,fma")))
static inline double transfuse_lap_min_avx2(const double *c, const double *v, long lo, long hi) {
    double inf = __builtin_inf();
    transfuse_v4d m0 = {inf, inf, inf, inf}, m1 = m0;
    long j = lo;
    for (; j + 8 <= hi; j += 8) {
        transfuse_v4d h0 = *(const transfuse_v4d *)(c + j) - *(const transfuse_v4d *)(v + j);
        transfuse_v4d h1 = *(const transfuse_v4d *)(c + j + 4) - *(const transfuse_v4d *)(v + j + 4);
        m0 = __builtin_elementwise_min(h0, m0);
        m1 = __builtin_elementwise_min(h1, m1);
    }
    m0 = __builtin_elementwise_min(m1, m0);
    double m = inf;
    for (int r = 0; r < 4; r++) if (m0[r] < m) m = m0[r];
    for (; j < hi; j++) { double h = c[j] - v[j]; if (h < m) m = h; }
    return m;
}

/// `transfuse_lap_find_avx512` with AVX2.
__attribute__((target("avx2,fma")))
static inline long transfuse_lap_find_avx2(const double *c, const double *v, long lo, long hi, double value) {
    transfuse_v4d x = {value, value, value, value};
    long j = lo;
    for (; j + 4 <= hi; j += 4) {
        transfuse_v4d h = *(const transfuse_v4d *)(c + j) - *(const transfuse_v4d *)(v + j);
        long __attribute__((vector_size(32))) eq = h == x;
        if ((eq[0] | eq[1]) | (eq[2] | eq[3])) {
            for (int r = 0; r < 4; r++) if (eq[r]) return j + r;
        }
    }
    for (; j < hi; j++) if (c[j] - v[j] == value) return j;
    return -1;
}
/// Relaxation of the capacitated assignment's search through one row:
/// `h[j] = ((row[j] − prices[j]) − offset) + blocked[j]`; where `h[j] < distance[j]`,
/// `distance[j] = h[j]` and `pred[j] = index`. AVX-512F.
__attribute__((target("avx512f")))
static inline void transfuse_cap_relax_avx512(const double *row, const double *prices, const double *blocked, double offset,
                                              double *distance, long *pred, long index, long n) {
    long j = 0;
    transfuse_v8d off = {offset, offset, offset, offset, offset, offset, offset, offset};
    for (; j + 8 <= n; j += 8) {
        transfuse_v8d h = ((*(const transfuse_v8d *)(row + j) - *(const transfuse_v8d *)(prices + j)) - off)
            + *(const transfuse_v8d *)(blocked + j);
        long __attribute__((vector_size(64))) lt = h < *(const transfuse_v8d *)(distance + j);
        if ((lt[0] | lt[1]) | (lt[2] | lt[3]) | (lt[4] | lt[5]) | (lt[6] | lt[7])) {
            for (int r = 0; r < 8; r++) if (lt[r]) { distance[j + r] = h[r]; pred[j + r] = index; }
        }
    }
    for (; j < n; j++) {
        double h = ((row[j] - prices[j]) - offset) + blocked[j];
        if (h < distance[j]) { distance[j] = h; pred[j] = index; }
    }
}

/// `transfuse_cap_relax_avx512` with AVX2.
__attribute__((target("avx2,fma")))
static inline void transfuse_cap_relax_avx2(const double *row, const double *prices, const double *blocked, double offset,
                                            double *distance, long *pred, long index, long n) {
    long j = 0;
    transfuse_v4d off = {offset, offset, offset, offset};
    for (; j + 4 <= n; j += 4) {
        transfuse_v4d h = ((*(const transfuse_v4d *)(row + j) - *(const transfuse_v4d *)(prices + j)) - off)
            + *(const transfuse_v4d *)(blocked + j);
        long __attribute__((vector_size(32))) lt = h < *(const transfuse_v4d *)(distance + j);
        if ((lt[0] | lt[1]) | (lt[2] | lt[3])) {
            for (int r = 0; r < 4; r++) if (lt[r]) { distance[j + r] = h[r]; pred[j + r] = index; }
        }
    }
    for (; j < n; j++) {
        double h = ((row[j] - prices[j]) - offset) + blocked[j];
        if (h < distance[j]) { distance[j] = h; pred[j] = index; }
    }
}

/// First `j` in `[lo, hi)` with `x[j] == value`, or −1. AVX-512F.
__attribute__((target("avx512f")))
static inline long transfuse_find_equal_avx512(const double *x, long lo, long hi, double value) {
    transfuse_v8d t = {value, value, value, value, value, value, value, value};
    long j = lo;
    for (; j + 8 <= hi; j += 8) {
        long __attribute__((vector_size(64))) eq = *(const transfuse_v8d *)(x + j) == t;
        if ((eq[0] | eq[1]) | (eq[2] | eq[3]) | (eq[4] | eq[5]) | (eq[6] | eq[7])) {
            for (int r = 0; r < 8; r++) if (eq[r]) return j + r;
        }
    }
    for (; j < hi; j++) if (x[j] == value) return j;
    return -1;
}
/// `transfuse_find_equal_avx512` with AVX2.
__attribute__((target("avx2,fma")))
static inline long transfuse_find_equal_avx2(const double *x, long lo, long hi, double value) {
    transfuse_v4d t = {value, value, value, value};
    long j = lo;
    for (; j + 4 <= hi; j += 4) {
        long __attribute__((vector_size(32))) eq = *(const transfuse_v4d *)(x + j) == t;
        if ((eq[0] | eq[1]) | (eq[2] | eq[3])) {
            for (int r = 0; r < 4; r++) if (eq[r]) return j + r;
        }
    }
    for (; j < hi; j++) if (x[j] == value) return j;
    return -1;
}

/// Smallest of `x[0..<n]` (+∞ when empty). AVX-512F.
__attribute__((target("avx512f")))
static inline double transfuse_min_avx512(const double *x, long n) {
    double inf = __builtin_inf();
    transfuse_v8d m0 = {inf, inf, inf, inf, inf, inf, inf, inf}, m1 = m0;
    long j = 0;
    for (; j + 16 <= n; j += 16) {
        m0 = __builtin_elementwise_min(m0, *(const transfuse_v8d *)(x + j));
        m1 = __builtin_elementwise_min(m1, *(const transfuse_v8d *)(x + j + 8));
    }
    m0 = __builtin_elementwise_min(m0, m1);
    double m = inf;
    for (int r = 0; r < 8; r++) if (m0[r] < m) m = m0[r];
    for (; j < n; j++) if (x[j] < m) m = x[j];
    return m;
}

/// Smallest of `x[0..<n]` (+∞ when empty). AVX2.
__attribute__((target("avx2,fma")))
static inline double transfuse_min_avx2(const double *x, long n) {
    double inf = __builtin_inf();
    transfuse_v4d m0 = {inf, inf, inf, inf}, m1 = m0;
    long j = 0;
    for (; j + 8 <= n; j += 8) {
        m0 = __builtin_elementwise_min(m0, *(const transfuse_v4d *)(x + j));
        m1 = __builtin_elementwise_min(m1, *(const transfuse_v4d *)(x + j + 4));
    }
    m0 = __builtin_elementwise_min(m0, m1);
    double m = inf;
    for (int r = 0; r < 4; r++) if (m0[r] < m) m = m0[r];
    for (; j < n; j++) if (x[j] < m) m = x[j];
    return m;
}
#endif
#endif
