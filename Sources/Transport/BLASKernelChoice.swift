import CBLAS
import Foundation

/// Keeps OpenBLAS off its oldest kernels on CPUs it does not recognise.
///
/// OpenBLAS picks its kernels from the CPU model when it is loaded, before `main`. Debian 12's
/// 0.3.21 does not know Intel's Emerald Rapids Xeons (family 6, model 207) and falls back to
/// its "Prescott" kernels (SSE3): the 3072 × 769 × 3072 product of a ViT-B MLP cost matrix then
/// runs at 27 GFLOPS instead of 125 on two cores, and a ViT-B fusion takes 25 s instead of 11.
/// OpenBLAS reads `OPENBLAS_CORETYPE` only at load time, so the one remedy from inside the
/// process is to start it again with the variable set: ``restartIfFallbackKernels()``.
public enum BLASKernelChoice {
    /// OpenBLAS's name for the kernels in use ("SkylakeX", "Haswell", "Prescott", ...).
    public static var coreName: String { String(cString: transfuse_openblas_core()) }

    /// Kernel sets older than AVX2: on a CPU with AVX2 and FMA, OpenBLAS only runs one of these
    /// when it did not recognise the model.
    static let preAVX2Cores: Set<String> = [
        "katmai", "coppermine", "northwood", "prescott", "banias", "core2", "penryn", "dunnington",
        "nehalem", "atom", "sandybridge", "athlon", "opteron", "opteron(sse3)", "barcelona", "bobcat", "nano",
    ]

    /// The kernel set to ask for instead of `current`, or `nil` when `current` suits the CPU:
    /// "SkylakeX" with AVX-512F, "Haswell" with AVX2 and FMA, only when `current` is older than
    /// AVX2.
    public static func replacement(for current: String, avx2: Bool, avx512: Bool) -> String? {
        guard avx2, preAVX2Cores.contains(current.lowercased()) else { return nil }
        return avx512 ? "SkylakeX" : "Haswell"
    }

    /// The variable set on the restarted process, so that it never restarts again.
    static let restartedMarker = "TRANSFUSE_BLAS_RESTARTED"

    /// When OpenBLAS fell back to pre-AVX2 kernels on a CPU with AVX2 (see the type's
    /// description), and neither the user (`OPENBLAS_CORETYPE`) nor an earlier restart chose
    /// the kernels, re-executes this program with the same arguments and `OPENBLAS_CORETYPE`
    /// set to ``replacement(for:avx2:avx512:)``. Call first thing in `main`, before any output
    /// or thread. Returns (without effect) when no restart is needed or `execv` fails.
    public static func restartIfFallbackKernels() {
        #if os(Linux) && arch(x86_64)
        let environment = ProcessInfo.processInfo.environment
        guard environment["OPENBLAS_CORETYPE"] == nil, environment[restartedMarker] == nil else { return }
        guard let core = replacement(for: coreName, avx2: transfuse_has_avx2_fma() != 0,
                                     avx512: transfuse_has_avx512f() != 0) else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        setenv(restartedMarker, "1", 1)
        _ = execv("/proc/self/exe", CommandLine.unsafeArgv)
        // Still here: the restart failed; carry on with the slow kernels.
        unsetenv("OPENBLAS_CORETYPE")
        #endif
    }
}
