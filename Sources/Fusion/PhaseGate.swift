import Foundation

/// Keeps the background averaging and writing of finished layers out of the main thread's
/// matrix products.
///
/// The cost matrices' `dgemm` (and the products with dense input maps) run on both cores; when
/// the writer thread takes one of them meanwhile, OpenBLAS's evenly split product waits for its
/// slower half (the MLP's 3072² product took 0.14–0.19 s inside the fusion against 0.116 s
/// alone). The main thread closes the gate
/// around those products; the writer waits at the gate before each tensor, so its work moves to
/// the single-threaded assignment phases instead.
final class PhaseGate: @unchecked Sendable {
    private let condition = NSCondition()
    private var closed = false

    /// Runs `body` with the gate closed.
    func whileClosed<T>(_ body: () throws -> T) rethrows -> T {
        condition.lock(); closed = true; condition.unlock()
        defer { condition.lock(); closed = false; condition.broadcast(); condition.unlock() }
        return try body()
    }

    /// Returns once the gate is open.
    func waitUntilOpen() {
        condition.lock()
        while closed { condition.wait() }
        condition.unlock()
    }
}
