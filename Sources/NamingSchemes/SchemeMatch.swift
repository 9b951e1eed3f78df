import WeightStore

/// The result of matching every key of a store against one scheme's rules.
struct SchemeMatch {
    struct Entry {
        let tensor: Tensor
        let rule: ConversionRule
        let layer: Int?
    }

    let scheme: Scheme
    let dialect: Scheme.Dialect
    /// Placeholder values: those the keys use, defaults for the rest.
    let values: [String: String]
    let entries: [Entry]
    /// Keys no rule matches.
    let unmatched: [String]

    /// Matches `store` against each dialect of `scheme` and keeps the dialect that maps the
    /// most keys.
    /// - Throws: `ambiguousKey` when a key matches two rules, `inconsistentVariant` when keys
    ///   disagree on a placeholder value.
    static func match(_ store: WeightStore, _ scheme: Scheme) throws -> SchemeMatch {
        var best: SchemeMatch?
        var firstError: Error?
        for dialect in scheme.dialects {
            do {
                let candidate = try match(store, scheme, dialect)
                if best == nil || candidate.unmatched.count < best!.unmatched.count { best = candidate }
            } catch {
                if firstError == nil { firstError = error }
            }
        }
        if let best, best.unmatched.count < store.count || firstError == nil { return best }
        throw firstError ?? NamingSchemeError.unmappedTensors(scheme: scheme.name, keys: store.names)
    }

    private static func match(_ store: WeightStore, _ scheme: Scheme, _ dialect: Scheme.Dialect) throws -> SchemeMatch {
        var entries: [Entry] = []
        var unmatched: [String] = []
        var values: [String: (value: String, key: String)] = [:]
        for tensor in store.tensors {
            var found: [(ConversionRule, [String: String])] = []
            for rule in dialect.rules {
                if let captures = rule.key.match(tensor.name, values: dialect.placeholders) { found.append((rule, captures)) }
            }
            guard let (rule, captures) = found.first else { unmatched.append(tensor.name); continue }
            guard found.count == 1 else {
                throw NamingSchemeError.ambiguousKey(scheme: scheme.name, key: tensor.name, rules: found.map { $0.0.label })
            }
            for (name, value) in captures where name != KeyTemplate.layer {
                if let previous = values[name], previous.value != value {
                    throw NamingSchemeError.inconsistentVariant(scheme: scheme.name, placeholder: name, key: tensor.name, value: value,
                                                                otherKey: previous.key, otherValue: previous.value)
                }
                values[name] = (value, tensor.name)
            }
            entries.append(Entry(tensor: tensor, rule: rule, layer: captures[KeyTemplate.layer].flatMap(Int.init)))
        }
        var chosen = dialect.defaultValues
        for (name, entry) in values { chosen[name] = entry.value }
        return SchemeMatch(scheme: scheme, dialect: dialect, values: chosen, entries: entries, unmatched: unmatched)
    }

    /// `hf-bert (dialect pytorch, prefix 'bert.')`, how messages name the match.
    var label: String {
        let variant = values.sorted { $0.key < $1.key }.map { "\($0.key) '\($0.value)'" }
        return "\(scheme.name) (\(scheme.family), dialect \(dialect.name)\(variant.isEmpty ? "" : ", " + variant.joined(separator: ", ")))"
    }
}

extension Scheme.Dialect {
    /// The scheme key that holds canonical tensor `canonical` under placeholder `values`, or
    /// the canonical name itself when no rule targets it.
    func key(forCanonical canonical: String, layout: CanonicalLayout, values: [String: String]) -> String {
        guard let (spec, layer) = layout.spec(for: canonical) else { return canonical }
        for rule in rules where rule.canonical.contains(spec.name) {
            return rule.key.expand(layer: layer, values) ?? canonical
        }
        return canonical
    }
}
