/// Helpers for tensor shapes: row-major, outermost dimension first.
public enum Shape {
    /// The number of elements of `shape` (1 for a scalar `[]`), or nil on overflow or a
    /// negative dimension.
    public static func elementCount(_ shape: [Int]) -> Int? {
        var total = 1
        for dim in shape {
            guard dim >= 0 else { return nil }
            let (product, overflow) = total.multipliedReportingOverflow(by: dim)
            if overflow { return nil }
            total = product
        }
        return total
    }

    /// `[2, 3]` → `"[2, 3]"`, the spelling every message uses.
    public static func describe(_ shape: [Int]) -> String {
        "[" + shape.map(String.init).joined(separator: ", ") + "]"
    }
}
