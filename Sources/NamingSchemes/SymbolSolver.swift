/// Finds the values of the dimension symbols (hidden, heads, layers…) from tensor shapes,
/// the config and `--heads`, and checks that they all agree.
///
/// Order: dimensions that are a single symbol bind it; the config fills symbols the shapes
/// leave open and must agree with those they bind; `--heads` must agree with both; then
/// products with one unknown factor (`heads*head_dim`, `3*hidden`) are solved, and the
/// layout's constraints (`heads*head_dim = hidden`) are applied. Finally every dimension whose
/// symbols are all known is checked.
struct SymbolSolver {
    /// One observed dimension: `expected[axis]` must equal `shape[axis]` for tensor `key`.
    struct Observation {
        let key: String
        let rule: String
        let expected: [ShapeExpression]
        let shape: [Int]
    }

    private(set) var values: [String: Int] = [:]
    /// What bound each symbol, for messages (`"X has shape [..]"`, `"config key"`).
    private var evidence: [String: String] = [:]
    private var observations: [Observation] = []

    /// Records `shape` of `key` against `expected`; a rank mismatch is an error at once.
    mutating func observe(key: String, rule: String, expected: [ShapeExpression], shape: [Int]) throws {
        guard expected.count == shape.count else {
            throw NamingSchemeError.shapeMismatch(key: key, rule: rule, expected: ShapeExpression.describe(expected), found: shape)
        }
        observations.append(Observation(key: key, rule: rule, expected: expected, shape: shape))
    }

    /// Binds `symbol` from a fact that is not a shape (the number of layers found).
    mutating func bind(_ symbol: String, _ value: Int, evidence text: String) throws {
        if let existing = values[symbol], existing != value {
            throw NamingSchemeError.inconsistentDimension(symbol: symbol, key: text, value: value,
                                                          otherKey: evidence[symbol] ?? "?", otherValue: existing)
        }
        values[symbol] = value
        evidence[symbol] = text
    }

    /// Solves with `config` and the user's `heads`, checking every observation.
    mutating func solve(config: ModelConfig, heads: Int?, constraints: [(ShapeExpression, ShapeExpression)]) throws {
        try voteSingleSymbols()
        for (symbol, entry) in config.values.sorted(by: { $0.key < $1.key }) {
            if let found = values[symbol] {
                guard found == entry.value else {
                    throw NamingSchemeError.configMismatch(symbol: symbol, configKey: entry.key, configValue: entry.value,
                                                           evidence: evidence[symbol] ?? "the shapes", shapeValue: found)
                }
            } else {
                values[symbol] = entry.value
                evidence[symbol] = "the config (\(entry.key) = \(entry.value))"
            }
        }
        if let heads {
            guard heads > 0 else { throw NamingSchemeError.missingHeads(reason: "--heads must be positive, got \(heads)") }
            if let found = values["heads"], found != heads {
                throw NamingSchemeError.headsMismatch(given: heads, found: found, source: evidence["heads"] ?? "the checkpoint")
            }
            values["heads"] = heads
            evidence["heads"] = "--heads \(heads)"
        }
        var changed = true
        while changed {
            changed = try propagate()
            for (left, right) in constraints {
                changed = try applyConstraint(left, right) || changed
                changed = try applyConstraint(right, left) || changed
            }
        }
        for observation in observations {
            for (axis, dim) in observation.expected.enumerated() {
                guard let value = evaluate(dim, constraints: constraints) else { continue }
                guard value == observation.shape[axis] else { throw mismatch(observation) }
            }
        }
    }

    /// The value of `dim`, substituting a constraint's known side for its unknown product
    /// (`3*heads*head_dim` is `3*hidden` when only `hidden` is known).
    private func evaluate(_ dim: ShapeExpression, constraints: [(ShapeExpression, ShapeExpression)]) -> Int? {
        if let value = dim.evaluate(values) { return value }
        for (left, right) in constraints + constraints.map({ ($1, $0) }) {
            guard let known = right.evaluate(values), left.coefficient == 1 else { continue }
            var rest = dim.symbols
            var contained = true
            for symbol in left.symbols {
                if let index = rest.firstIndex(of: symbol) { rest.remove(at: index) } else { contained = false; break }
            }
            guard contained, let others = ShapeExpression(coefficient: dim.coefficient, symbols: rest).evaluate(values) else { continue }
            return others * known
        }
        return nil
    }

    /// Binds every symbol that appears alone in some dimension to the value most tensors give
    /// it, so that one wrongly shaped tensor is the one reported, not the others.
    private mutating func voteSingleSymbols() throws {
        var votes: [String: [Int: (count: Int, first: Observation)]] = [:]
        for observation in observations {
            for (axis, dim) in observation.expected.enumerated() where dim.symbols.count == 1 {
                let symbol = dim.symbols[0], found = observation.shape[axis]
                guard found % dim.coefficient == 0, found > 0 else { throw mismatch(observation) }
                let value = found / dim.coefficient
                let entry = votes[symbol, default: [:]][value]
                votes[symbol, default: [:]][value] = (count: (entry?.count ?? 0) + 1, first: entry?.first ?? observation)
            }
        }
        for (symbol, tally) in votes where values[symbol] == nil {
            guard let best = tally.max(by: { ($0.value.count, $1.key) < ($1.value.count, $0.key) }) else { continue }
            values[symbol] = best.key
            evidence[symbol] = "\(best.value.first.key) has shape \(Shape.describe(best.value.first.shape))"
        }
    }

    /// Binds what single observations determine; returns whether anything was bound.
    @discardableResult
    private mutating func propagate() throws -> Bool {
        var changed = false
        for observation in observations {
            for (axis, dim) in observation.expected.enumerated() {
                let unknown = dim.unbound(values)
                guard unknown.count == 1, let symbol = unknown.first else { continue }
                let known = dim.coefficient * dim.symbols.filter { $0 != symbol }.reduce(1) { $0 * (values[$1] ?? 1) }
                let found = observation.shape[axis]
                guard known > 0, found % known == 0, found / known > 0 else { throw mismatch(observation) }
                values[symbol] = found / known
                evidence[symbol] = "\(observation.key) has shape \(Shape.describe(observation.shape))"
                changed = true
            }
        }
        return changed
    }

    /// Solves `left = right` for the one unknown of `left` when `right` is known.
    private mutating func applyConstraint(_ left: ShapeExpression, _ right: ShapeExpression) throws -> Bool {
        guard let target = right.evaluate(values) else { return false }
        let unknown = left.unbound(values)
        if unknown.isEmpty {
            guard let value = left.evaluate(values), value == target else {
                throw NamingSchemeError.configMismatch(symbol: left.description, configKey: right.description, configValue: target,
                                                       evidence: left.symbols.map { "\($0) from \(evidence[$0] ?? "?")" }.joined(separator: " and "),
                                                       shapeValue: left.evaluate(values) ?? 0)
            }
            return false
        }
        guard unknown.count == 1, let symbol = unknown.first else { return false }
        let known = left.coefficient * left.symbols.filter { $0 != symbol }.reduce(1) { $0 * (values[$1] ?? 1) }
        guard known > 0, target % known == 0 else {
            throw NamingSchemeError.configMismatch(symbol: right.description, configKey: left.description, configValue: target,
                                                   evidence: "it is not divisible by \(known)", shapeValue: target)
        }
        values[symbol] = target / known
        evidence[symbol] = "\(left) = \(right)"
        return true
    }

    private func mismatch(_ observation: Observation) -> NamingSchemeError {
        .shapeMismatch(key: observation.key, rule: observation.rule,
                       expected: ShapeExpression.describe(observation.expected, values), found: observation.shape)
    }
}

import WeightStore
