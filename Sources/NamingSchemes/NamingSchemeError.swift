import WeightStore

/// Everything that can go wrong while loading rule files, detecting a naming scheme, or
/// converting between a scheme and the canonical layout. Messages name the tensor key, the
/// rule, and the expected and found shapes, plus a hint where one helps.
public enum NamingSchemeError: Error, CustomStringConvertible, Equatable {
    /// A rule file or canonical layout file is malformed (`location` is a JSON path).
    case invalidRuleFile(file: String, location: String, reason: String)
    /// `--scheme NAME` names no loaded scheme.
    case unknownScheme(name: String, known: [String])
    /// The store has no tensors.
    case emptyStore
    /// No scheme maps every tensor; `closest` describes the best candidate.
    case noSchemeMatches(closest: String, unmatched: [String], tried: [String])
    /// Several schemes map every tensor equally well.
    case ambiguousScheme(candidates: [String])
    /// Tensors of the store match no rule of the chosen scheme.
    case unmappedTensors(scheme: String, keys: [String])
    /// One key matches several rules (a rule file defect).
    case ambiguousKey(scheme: String, key: String, rules: [String])
    /// Two keys disagree about a variant placeholder (e.g. the `bert.` prefix).
    case inconsistentVariant(scheme: String, placeholder: String, key: String, value: String, otherKey: String, otherValue: String)
    /// A tensor's shape does not fit its rule.
    case shapeMismatch(key: String, rule: String, expected: String, found: [Int])
    /// The config and the tensor shapes disagree.
    case configMismatch(symbol: String, configKey: String, configValue: Int, evidence: String, shapeValue: Int)
    /// Two tensors imply different values of one dimension symbol.
    case inconsistentDimension(symbol: String, key: String, value: Int, otherKey: String, otherValue: Int)
    /// A required canonical tensor (or the scheme key that holds it) is missing.
    case missingTensor(key: String, canonical: String, scheme: String)
    /// An optional group (pooler, classifier, MLM head…) is only partly present.
    case incompleteGroup(group: String, present: [String], missing: [String])
    /// The head count is needed but neither the config nor `--heads` gives it.
    case missingHeads(reason: String)
    /// `--heads` contradicts the config or the shapes.
    case headsMismatch(given: Int, found: Int, source: String)
    /// A canonical tensor has no rule in the target scheme.
    case unrepresentable(canonical: String, scheme: String, reason: String)
    /// A tensor name that is not part of the canonical layout of the family.
    case unknownCanonicalTensor(name: String, family: String)
    /// A tensor whose bytes cannot be rearranged (sub-byte dtypes) or parts that disagree.
    case cannotTransform(key: String, rule: String, reason: String)
    /// The config JSON cannot be parsed.
    case invalidConfig(reason: String)

    public var description: String {
        switch self {
        case let .invalidRuleFile(file, location, reason):
            return "\(file): \(location): \(reason)"
        case let .unknownScheme(name, known):
            return "unknown naming scheme '\(name)'; known schemes: \(known.joined(separator: ", ")) (add your own rule files with --schemes DIR or TRANSFUSE_SCHEMES)"
        case .emptyStore:
            return "the checkpoint holds no tensors, so it has no naming scheme"
        case let .noSchemeMatches(closest, unmatched, tried):
            return "no naming scheme maps every tensor (tried \(tried.joined(separator: ", "))); the closest, \(closest), has no rule for \(Self.list(unmatched, limit: 8)). Pass --scheme NAME to see that scheme's full report, or add a rule file with --schemes DIR"
        case let .ambiguousScheme(candidates):
            return "the tensor names fit several naming schemes equally well (\(candidates.joined(separator: ", "))): pass --scheme NAME"
        case let .unmappedTensors(scheme, keys):
            return "scheme \(scheme): no rule matches \(keys.count == 1 ? "tensor" : "tensors") \(Self.list(keys, limit: 12))"
        case let .ambiguousKey(scheme, key, rules):
            return "scheme \(scheme): tensor \(key) matches several rules (\(rules.joined(separator: "; "))): the rule file must make every key match exactly one rule"
        case let .inconsistentVariant(scheme, placeholder, key, value, otherKey, otherValue):
            return "scheme \(scheme): {\(placeholder)} is '\(value)' in \(key) but '\(otherValue)' in \(otherKey); one checkpoint must use one variant"
        case let .shapeMismatch(key, rule, expected, found):
            return "\(key): expected \(expected), found \(Shape.describe(found)) (rule \(rule))"
        case let .configMismatch(symbol, configKey, configValue, evidence, shapeValue):
            return "the config says \(configKey) = \(configValue), but \(evidence), which gives \(symbol) = \(shapeValue)"
        case let .inconsistentDimension(symbol, key, value, otherKey, otherValue):
            return "\(key) gives \(symbol) = \(value) but \(otherKey) gives \(symbol) = \(otherValue)"
        case let .missingTensor(key, canonical, scheme):
            return key == canonical
                ? "missing tensor \(key) (required by the canonical layout; scheme \(scheme))"
                : "missing tensor \(key) (canonical \(canonical), required; scheme \(scheme))"
        case let .incompleteGroup(group, present, missing):
            return "\(group) is incomplete: found \(present.joined(separator: ", ")) but not \(missing.joined(separator: ", "))"
        case let .missingHeads(reason):
            return "the number of attention heads is unknown: \(reason). Shapes alone cannot tell it; pass --heads N (or provide a config.json with num_attention_heads)"
        case let .headsMismatch(given, found, source):
            return "--heads \(given) contradicts \(source), which gives \(found) heads"
        case let .unrepresentable(canonical, scheme, reason):
            return "\(canonical) cannot be written in scheme \(scheme): \(reason)"
        case let .unknownCanonicalTensor(name, family):
            return "\(name) is not a tensor of the canonical \(family) layout"
        case let .cannotTransform(key, rule, reason):
            return "\(key): cannot apply rule \(rule): \(reason)"
        case let .invalidConfig(reason):
            return "invalid config: \(reason)"
        }
    }

    private static func list(_ names: [String], limit: Int) -> String {
        names.prefix(limit).joined(separator: ", ") + (names.count > limit ? ", … (\(names.count) in all)" : "")
    }
}
