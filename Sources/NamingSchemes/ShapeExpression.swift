/// One dimension of a symbolic shape: an integer coefficient times a product of config
/// symbols, e.g. `3*hidden`, `heads*head_dim`, `1`. Products are all the layouts need
/// (fused qkv rows, merged head axes), which keeps equality decidable: two expressions are
/// equal when their coefficients and symbol multisets are equal.
public struct ShapeExpression: Hashable, Sendable, CustomStringConvertible {
    public let coefficient: Int
    /// Symbols of the product, sorted (a multiset).
    public let symbols: [String]

    public init(coefficient: Int, symbols: [String]) {
        self.coefficient = coefficient
        self.symbols = symbols.sorted()
    }

    /// Parses `"3*hidden"`; every symbol must be in `known`.
    static func parse(_ text: String, known: Set<String>) -> Result<ShapeExpression, RuleFileIssue> {
        var coefficient = 1
        var symbols: [String] = []
        for raw in text.split(separator: "*", omittingEmptySubsequences: false) {
            let factor = raw.trimmingCharacters(in: .whitespaces)
            if let number = Int(factor) {
                guard number > 0, number < 1 << 20 else { return .failure(RuleFileIssue("'\(text)': integer factors must lie in 1…2^20")) }
                coefficient *= number
            } else if known.contains(factor) {
                symbols.append(factor)
            } else {
                return .failure(RuleFileIssue("'\(text)': unknown symbol '\(factor)' (known: \(known.sorted().joined(separator: ", ")))"))
            }
        }
        return .success(ShapeExpression(coefficient: coefficient, symbols: symbols))
    }

    /// The value under `bindings`, or nil if a symbol is unbound or the product overflows.
    public func evaluate(_ bindings: [String: Int]) -> Int? {
        var value = coefficient
        for symbol in symbols {
            guard let bound = bindings[symbol] else { return nil }
            let (product, overflow) = value.multipliedReportingOverflow(by: bound)
            if overflow { return nil }
            value = product
        }
        return value
    }

    /// The symbols of the product that `bindings` does not bind.
    func unbound(_ bindings: [String: Int]) -> [String] {
        symbols.filter { bindings[$0] == nil }
    }

    static func * (lhs: ShapeExpression, rhs: ShapeExpression) -> ShapeExpression {
        ShapeExpression(coefficient: lhs.coefficient * rhs.coefficient, symbols: lhs.symbols + rhs.symbols)
    }

    /// `self / n` when the coefficient is divisible by `n`.
    func divided(by n: Int) -> ShapeExpression? {
        guard n > 0, coefficient % n == 0 else { return nil }
        return ShapeExpression(coefficient: coefficient / n, symbols: symbols)
    }

    static func product(_ dims: [ShapeExpression]) -> ShapeExpression {
        dims.reduce(ShapeExpression(coefficient: 1, symbols: []), *)
    }

    public var description: String {
        if symbols.isEmpty { return String(coefficient) }
        let names = symbols.joined(separator: "*")
        return coefficient == 1 ? names : "\(coefficient)*\(names)"
    }

    /// `[hidden, 3*hidden]`, with the values known: `[hidden=16, 3*hidden=48]`.
    static func describe(_ shape: [ShapeExpression], _ bindings: [String: Int] = [:]) -> String {
        "[" + shape.map { dim -> String in
            if dim.symbols.isEmpty { return dim.description }
            if let value = dim.evaluate(bindings) { return "\(dim)=\(value)" }
            return dim.description
        }.joined(separator: ", ") + "]"
    }
}

/// A problem found in a rule or layout file, before the file and JSON path are attached.
struct RuleFileIssue: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}
