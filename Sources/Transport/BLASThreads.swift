import CBLAS
import Foundation

/// OpenBLAS's own threads, and the sections that keep them out.
///
/// After a threaded call OpenBLAS's workers spin in `sched_yield` for a while before they
/// sleep. Between the products of a fusion that spinning took a core from the threads that do
/// the rest of the work (about a tenth of the CPU time of a ViT-B fusion). The double-precision
/// products of ``BLAS/multiply(_:_:transposeA:transposeB:)`` therefore cut the result into
/// bands on our own threads and run OpenBLAS single-threaded inside ``singleThreaded(_:)``.
public enum BLASThreads {
    /// OpenBLAS's thread count when the process started (`OPENBLAS_NUM_THREADS`, else the
    /// cores): how many workers to split independent BLAS calls over. Read once, before any
    /// single-threaded section can lower it.
    public static let count: Int = max(1, Int(openblas_get_num_threads()))

    /// The thread count OpenBLAS uses now: 1 inside a section.
    public static var current: Int { Int(openblas_get_num_threads()) }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var open = 0

    /// Runs `body` with OpenBLAS limited to one thread. Sections may overlap on several threads:
    /// the first to open lowers the count, the last to close restores ``count``.
    public static func singleThreaded<R>(_ body: () throws -> R) rethrows -> R {
        guard count > 1 else { return try body() }
        lock.lock()
        if open == 0 { openblas_set_num_threads(1) }
        open += 1
        lock.unlock()
        defer {
            lock.lock()
            open -= 1
            if open == 0 { openblas_set_num_threads(Int32(count)) }
            lock.unlock()
        }
        return try body()
    }
}
