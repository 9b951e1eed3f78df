/// Every error the `Transport` module throws. Messages name the matrix or marginal, the shapes
/// involved and, where useful, what to do.
public enum TransportError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A matrix with no rows or no columns.
    case emptyMatrix(String, rows: Int, cols: Int)
    /// Two shapes that must agree do not (free text naming both).
    case shapeMismatch(String)
    /// A NaN or ±Inf entry.
    case nonFinite(String, row: Int, col: Int, value: Double)
    /// A negative cost.
    case negativeCost(String, row: Int, col: Int, value: Double)
    /// A marginal of the wrong length.
    case marginalLength(String, expected: Int, found: Int, shape: String)
    /// A negative, NaN or infinite marginal entry.
    case invalidMarginal(String, index: Int, value: Double)
    /// Marginals whose totals differ, or are zero.
    case massMismatch(sumA: Double, sumB: Double)
    /// A parameter out of its domain.
    case invalidParameter(String, value: String, hint: String)
    /// A ground metric that cannot be computed (zero norm for cosine, zero normaliser...).
    case undefinedMetric(String)
    /// A solver stopped without a valid answer (should not happen; reports an internal limit).
    case solverFailed(String)

    public var description: String {
        switch self {
        case let .emptyMatrix(name, rows, cols):
            return "\(name): empty matrix of shape [\(rows), \(cols)]; optimal transport needs at least one row and one column"
        case let .shapeMismatch(text):
            return "shape mismatch: \(text)"
        case let .nonFinite(name, row, col, value):
            return "\(name): non-finite value \(value) at [\(row), \(col)]; costs must be finite"
        case let .negativeCost(name, row, col, value):
            return "\(name): negative cost \(value) at [\(row), \(col)]; costs must be >= 0 (shift the matrix by its minimum if negative costs are intended)"
        case let .marginalLength(name, expected, found, shape):
            return "marginal \(name): expected \(expected) values for a cost matrix of shape \(shape), found \(found)"
        case let .invalidMarginal(name, index, value):
            return "marginal \(name): entry \(index) is \(value); marginals must be finite and >= 0"
        case let .massMismatch(sumA, sumB):
            return "marginals a and b must carry the same positive mass: sum(a) = \(sumA), sum(b) = \(sumB) (relative tolerance \(Marginals.massTolerance))"
        case let .invalidParameter(name, value, hint):
            return "invalid \(name) \(value): \(hint)"
        case let .undefinedMetric(text):
            return "ground metric undefined: \(text)"
        case let .solverFailed(text):
            return "solver failed: \(text)"
        }
    }
}
