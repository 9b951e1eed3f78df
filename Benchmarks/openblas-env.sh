# Sourced by the benchmark scripts. OpenBLAS chooses its kernels from the CPU unless
# OPENBLAS_CORETYPE overrides the choice; this build machine's environment sets
# OPENBLAS_CORETYPE=Haswell (and OPENBLAS_L2_SIZE), which forces the AVX2 kernels on a CPU with
# AVX-512: Debian's OpenBLAS 0.3.21 then does a 3072×768×3072 dgemm at 119 GFLOPS instead of 199,
# and sgemm at half speed. Every benchmark runs both sides with OpenBLAS's own choice (here
# "Cooperlake") unless KEEP_OPENBLAS_CORETYPE=1 keeps the environment's. PyTorch (MKL) ignores
# both variables; numpy's bundled OpenBLAS reads them too.
if [ -z "${KEEP_OPENBLAS_CORETYPE:-}" ]; then
    unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
fi
