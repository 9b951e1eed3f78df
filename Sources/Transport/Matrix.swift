/// A dense row-major matrix of `Double`, the currency of the `Transport` module.
///
/// Element `(i, j)` lives at `storage[i * cols + j]`. Shapes are `rows × cols`; both may be zero
/// only for an empty matrix (solvers reject empty inputs with ``TransportError/emptyMatrix(_:rows:cols:)``).
public struct Matrix: Equatable, Sendable {
    /// Number of rows.
    public let rows: Int
    /// Number of columns.
    public let cols: Int
    /// Row-major values, `rows * cols` of them.
    public var storage: [Double]

    /// A `rows × cols` matrix filled with `value`.
    /// - Precondition: `rows >= 0`, `cols >= 0` (negative sizes are clamped to 0).
    public init(rows: Int, cols: Int, repeating value: Double = 0) {
        let r = max(rows, 0), c = max(cols, 0)
        self.rows = r
        self.cols = c
        self.storage = [Double](repeating: value, count: r * c)
    }

    /// A `rows × cols` matrix from row-major `values`.
    /// - Throws: ``TransportError/shapeMismatch(_:)`` when `values.count != rows * cols`
    ///   or a size is negative.
    public init(rows: Int, cols: Int, values: [Double]) throws {
        guard rows >= 0, cols >= 0, rows.multipliedReportingOverflow(by: cols).overflow == false,
              values.count == rows * cols else {
            throw TransportError.shapeMismatch(
                "matrix of shape [\(rows), \(cols)] needs \(rows &* cols) values, got \(values.count)")
        }
        self.rows = rows
        self.cols = cols
        self.storage = values
    }

    /// A `rows × cols` matrix whose every value `fill` writes into fresh, uninitialised storage
    /// (for products and passes that write all entries: no zero-filling first).
    /// - Precondition: `fill` initialises all `rows * cols` values.
    public init(rows: Int, cols: Int, filling fill: (UnsafeMutableBufferPointer<Double>) -> Void) {
        let r = max(rows, 0), c = max(cols, 0)
        self.rows = r
        self.cols = c
        self.storage = [Double](unsafeUninitializedCapacity: r * c) { buffer, count in
            fill(buffer)
            count = r * c
        }
    }

    /// Every entry times `factor`, written into a new matrix in one pass (`self` is only read,
    /// so no copy of it is made first even when its storage is shared).
    public func scaled(by factor: Double) -> Matrix {
        storage.withUnsafeBufferPointer { p in
            Matrix(rows: rows, cols: cols) { o in
                for k in 0..<p.count { o[k] = p[k] * factor }
            }
        }
    }

    /// A matrix from an array of equally long rows (`rows.count × rows[0].count`).
    /// - Throws: ``TransportError/shapeMismatch(_:)`` when the rows have different lengths.
    public init(_ rowArrays: [[Double]]) throws {
        let c = rowArrays.first?.count ?? 0
        for (i, row) in rowArrays.enumerated() where row.count != c {
            throw TransportError.shapeMismatch("row \(i) has \(row.count) values, row 0 has \(c)")
        }
        self.rows = rowArrays.count
        self.cols = c
        self.storage = rowArrays.flatMap { $0 }
    }

    /// Element `(i, j)`; indices are checked by the array access.
    @inlinable
    public subscript(i: Int, j: Int) -> Double {
        get { storage[i * cols + j] }
        set { storage[i * cols + j] = newValue }
    }

    /// The values of row `i` (`cols` of them).
    public func row(_ i: Int) -> ArraySlice<Double> {
        storage[(i * cols)..<((i + 1) * cols)]
    }

    /// `true` when the matrix has no element.
    public var isEmpty: Bool { rows == 0 || cols == 0 }

    /// The transpose, `cols × rows`.
    public func transposed() -> Matrix {
        var t = Matrix(rows: cols, cols: rows)
        for i in 0..<rows {
            for j in 0..<cols { t.storage[j * rows + i] = storage[i * cols + j] }
        }
        return t
    }

    /// Row sums (`rows` values).
    public func rowSums() -> [Double] {
        (0..<rows).map { i in row(i).reduce(0, +) }
    }

    /// Column sums (`cols` values).
    public func columnSums() -> [Double] {
        var s = [Double](repeating: 0, count: cols)
        s.withUnsafeMutableBufferPointer { out in
            storage.withUnsafeBufferPointer { m in
                for i in 0..<rows { Kernels.axpy(1, m.baseAddress! + i * cols, out.baseAddress!, cols) }
            }
        }
        return s
    }

    /// The shape as text, `"[rows, cols]"`, for messages.
    public var shapeDescription: String { "[\(rows), \(cols)]" }
}
