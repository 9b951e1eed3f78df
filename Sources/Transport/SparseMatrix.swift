import Foundation

/// One non-zero entry of a ``SparseMatrix``: `value` at `(row, col)`.
public struct SparseEntry: Sendable, Equatable {
    public var row: Int
    public var col: Int
    public var value: Double

    public init(row: Int, col: Int, value: Double) {
        self.row = row
        self.col = col
        self.value = value
    }
}

/// A `rows × cols` matrix held as its non-zero entries, in row-major order (by row, then
/// column; each position at most once), with the dense ``Matrix`` built on first use and kept.
///
/// An exact assignment plan of size 3072 has 3072 entries, 75 MB when dense: solvers and
/// transport maps hand on the entries, and only a caller that asks for ``dense`` pays for the
/// dense matrix (once; the class is safe to share between threads).
public final class SparseMatrix: @unchecked Sendable {
    public let rows: Int
    public let cols: Int
    /// Row-major, non-zero (the invariant is the caller's; it is not checked).
    public let entries: [SparseEntry]
    private let lock = NSLock()
    private var cache: Matrix?

    /// The matrix with `entries` (row-major, positions inside `rows × cols`, none repeated).
    public init(rows: Int, cols: Int, entries: [SparseEntry], dense: Matrix? = nil) {
        self.rows = rows
        self.cols = cols
        self.entries = entries
        cache = dense
    }

    /// The non-zero entries of `m` in row-major order when it has at most `limit` of them, else
    /// `nil`. They are counted first, and the count stops at entry `limit + 1`: a dense plan is
    /// rejected after a short read, without collecting its entries. `m` is kept as the dense
    /// form.
    public convenience init?(_ m: Matrix, limit: Int) {
        let cols = m.cols
        let entries = m.storage.withUnsafeBufferPointer { p -> [SparseEntry]? in
            var count = 0
            for k in 0..<p.count where p[k] != 0 {
                count += 1
                if count > limit { return nil }
            }
            var entries: [SparseEntry] = []
            entries.reserveCapacity(count)
            for k in 0..<p.count where p[k] != 0 {
                entries.append(SparseEntry(row: k / cols, col: k % cols, value: p[k]))
            }
            return entries
        }
        guard let entries else { return nil }
        self.init(rows: m.rows, cols: m.cols, entries: entries, dense: m)
    }

    /// The dense matrix (zeros elsewhere), built on the first call.
    public var dense: Matrix {
        lock.lock()
        defer { lock.unlock() }
        if let cache { return cache }
        var m = Matrix(rows: rows, cols: cols)
        m.storage.withUnsafeMutableBufferPointer { p in
            for e in entries { p[e.row * cols + e.col] = e.value }
        }
        cache = m
        return m
    }

    /// Every value times `factor` (the dense form, if built, is not carried over).
    public func scaled(by factor: Double) -> SparseMatrix {
        SparseMatrix(rows: rows, cols: cols, entries: entries.map { SparseEntry(row: $0.row, col: $0.col, value: $0.value * factor) })
    }
}
