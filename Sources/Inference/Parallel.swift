import Foundation

/// A pointer that may cross into `concurrentPerform` closures; every user writes disjoint
/// ranges (rows, heads), which is what makes this sound.
struct SharedPointer<T>: @unchecked Sendable {
    let base: UnsafeMutablePointer<T>
    init(_ base: UnsafeMutablePointer<T>) { self.base = base }
}

enum Parallel {
    /// Splits `0..<count` into contiguous chunks (one per BLAS thread, none smaller than
    /// `minimum`) and runs `body` on them concurrently.
    static func chunks(_ count: Int, minimum: Int = 1, _ body: @Sendable (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let workers = max(1, min(BLAS.threads, count / max(1, minimum)))
        if workers == 1 { body(0..<count); return }
        let size = (count + workers - 1) / workers
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let start = w * size
            let end = min(count, start + size)
            if start < end { body(start..<end) }
        }
    }
}
