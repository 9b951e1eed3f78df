import Foundation

extension Scheme {
    /// The rule file format this build reads.
    public static let formatVersion = 1

    /// Parses a rule file into one scheme per family it covers, validating it against the
    /// canonical layouts: known fields only; placeholders declared; every canonical target a
    /// tensor of the layout, used once per dialect; `{i}` on both sides or neither; and the
    /// transform turning the rule's shape into exactly the canonical shape.
    ///
    /// A file with `"identity": true` (the `canonical` scheme) needs no rules: it maps every
    /// tensor of each listed family's layout to itself.
    static func parse(_ data: Data, source: String, layouts: [String: CanonicalLayout]) throws -> [Scheme] {
        do {
            return try parseUnlabelled(data, source: source, layouts: layouts)
        } catch {
            throw ruleFileError(error, file: source)
        }
    }

    private static func parseUnlabelled(_ data: Data, source: String, layouts: [String: CanonicalLayout]) throws -> [Scheme] {
        let root = try JSONNode.parse(data).get()
        let fields = try root.object(allowing: ["format_version", "scheme", "family", "families", "identity",
                                                "description", "priority", "defaults", "dialects"])
        guard let version = fields["format_version"] else { throw root.issue("missing 'format_version'") }
        guard try version.int() == formatVersion else {
            throw version.issue("format_version \(try version.int()) is not supported (this build reads \(formatVersion))")
        }
        guard let nameNode = fields["scheme"] else { throw root.issue("missing 'scheme'") }
        let name = try nameNode.string()
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw nameNode.issue("a scheme name uses letters, digits, '-' and '_'")
        }
        let description = try fields["description"]?.string() ?? ""
        let priority = try fields["priority"]?.int() ?? 10
        var defaults = Defaults(layerNormEps: nil, activation: nil)
        if let node = fields["defaults"] {
            let values = try node.object(allowing: ["layer_norm_eps", "activation"])
            defaults = Defaults(layerNormEps: try values["layer_norm_eps"]?.double(), activation: try values["activation"]?.string())
        }

        func layout(_ node: JSONNode) throws -> CanonicalLayout {
            let family = try node.string()
            guard let layout = layouts[family] else {
                throw node.issue("unknown family '\(family)' (layouts: \(layouts.keys.sorted().joined(separator: ", ")))")
            }
            return layout
        }

        if try fields["identity"]?.bool() == true {
            guard fields["dialects"] == nil, fields["family"] == nil, let familiesNode = fields["families"] else {
                throw root.issue("an identity scheme lists 'families' and has no 'family' or 'dialects'")
            }
            return try familiesNode.array().map { node in
                let layout = try layout(node)
                return Scheme(name: name, family: layout.family, description: description, priority: priority,
                              defaults: defaults, dialects: [identityDialect(layout)], source: source)
            }
        }
        guard fields["families"] == nil, let familyNode = fields["family"], let dialectsNode = fields["dialects"] else {
            throw root.issue("a rule file needs 'family' and 'dialects' (or 'identity': true with 'families')")
        }
        let layout = try layout(familyNode)
        let dialectNodes = try dialectsNode.array()
        guard !dialectNodes.isEmpty else { throw dialectsNode.issue("at least one dialect is needed") }
        var dialects: [Dialect] = []
        for node in dialectNodes {
            let dialect = try parseDialect(node, layout: layout)
            guard !dialects.contains(where: { $0.name == dialect.name }) else {
                throw node.issue("dialect '\(dialect.name)' is defined twice")
            }
            dialects.append(dialect)
        }
        return [Scheme(name: name, family: layout.family, description: description, priority: priority,
                       defaults: defaults, dialects: dialects, source: source)]
    }

    /// Every canonical tensor under its own name.
    private static func identityDialect(_ layout: CanonicalLayout) -> Dialect {
        let rules = layout.tensors.enumerated().map { index, spec in
            ConversionRule(index: index, key: spec.name, canonical: [spec.name], shape: spec.shape, steps: [])
        }
        return Dialect(name: "canonical", placeholders: [:], rules: rules)
    }

    private static func parseDialect(_ node: JSONNode, layout: CanonicalLayout) throws -> Dialect {
        let fields = try node.object(allowing: ["name", "description", "placeholders", "rules"])
        guard let nameNode = fields["name"], let rulesNode = fields["rules"] else {
            throw node.issue("a dialect needs 'name' and 'rules'")
        }
        var placeholders: [String: [String]] = [:]
        for (name, valuesNode) in try fields["placeholders"]?.dictionary() ?? [:] {
            guard name != KeyTemplate.layer, name != KeyTemplate.kerasLayer else {
                throw valuesNode.issue("{i} and {_i} are layer indices and cannot be declared")
            }
            let values = try valuesNode.array().map { try $0.string() }
            guard !values.isEmpty, Set(values).count == values.count else {
                throw valuesNode.issue("a placeholder lists one or more distinct values")
            }
            placeholders[name] = values
        }
        var rules: [ConversionRule] = []
        var keys: Set<String> = []
        var targets: Set<String> = []
        let known = Set(layout.symbols.keys)
        for (index, ruleNode) in try rulesNode.array().enumerated() {
            let rule = try parseRule(ruleNode, index: index, placeholders: placeholders, layout: layout, known: known)
            guard keys.insert(rule.key.text).inserted else { throw ruleNode.issue("key '\(rule.key.text)' has two rules") }
            for target in rule.canonical {
                guard targets.insert(target.text).inserted else {
                    throw ruleNode.issue("canonical tensor '\(target.text)' is the target of two rules")
                }
            }
            rules.append(rule)
        }
        return Dialect(name: try nameNode.string(), placeholders: placeholders, rules: rules)
    }

    private static func parseRule(_ node: JSONNode, index: Int, placeholders: [String: [String]],
                                  layout: CanonicalLayout, known: Set<String>) throws -> ConversionRule {
        let fields = try node.object(allowing: ["key", "canonical", "shape", "transform", "note"])
        guard let keyNode = fields["key"], let canonicalNode = fields["canonical"], let shapeNode = fields["shape"] else {
            throw node.issue("a rule needs 'key', 'canonical' and 'shape'")
        }
        let key = try KeyTemplate.parse(try keyNode.string()).mapError { keyNode.issue($0.reason) }.get()
        for placeholder in key.placeholders where placeholder != KeyTemplate.layer && placeholder != KeyTemplate.kerasLayer
            && placeholders[placeholder] == nil {
            throw keyNode.issue("placeholder {\(placeholder)} is not declared in the dialect's 'placeholders'")
        }
        let canonicalNames = try canonicalNode.strings()
        guard !canonicalNames.isEmpty else { throw canonicalNode.issue("no canonical target") }
        var specs: [CanonicalLayout.TensorSpec] = []
        for text in canonicalNames {
            guard let spec = layout.spec(template: text) else {
                throw canonicalNode.issue("'\(text)' is not a tensor of the canonical \(layout.family) layout (\(layout.source))")
            }
            guard spec.isPerLayer == key.isPerLayer else {
                throw node.issue("'\(key.text)' and '\(text)' must both contain {i} or neither")
            }
            specs.append(spec)
        }
        let shape = try shapeNode.array().map { dim in
            try ShapeExpression.parse(try dim.string(), known: known).mapError { dim.issue($0.reason) }.get()
        }
        var steps: [TransformStep] = []
        for stepNode in try fields["transform"]?.array() ?? [] {
            let step = try stepNode.object(allowing: ["transpose", "reshape", "split"])
            guard step.count == 1, let (kind, argument) = step.first else {
                throw stepNode.issue("a step is one of {\"transpose\": [axes]}, {\"reshape\": [dims]}, {\"split\": axis}")
            }
            switch kind {
            case "transpose": steps.append(.transpose(try argument.array().map { try $0.int() }))
            case "reshape":
                steps.append(.reshape(try argument.array().map { dim in
                    try ShapeExpression.parse(try dim.string(), known: known).mapError { dim.issue($0.reason) }.get()
                }))
            default: steps.append(.split(axis: try argument.int()))
            }
        }
        let rule = ConversionRule(index: index, key: key, canonical: specs.map(\.name), shape: shape, steps: steps)
        let results = try symbolicResult(of: rule).mapError { node.issue($0.reason) }.get()
        for (result, spec) in zip(results, specs) where result != spec.shape {
            throw node.issue("the transform turns \(ShapeExpression.describe(shape)) into \(ShapeExpression.describe(result)), but canonical '\(spec.name.text)' is \(ShapeExpression.describe(spec.shape))")
        }
        return rule
    }

    /// The canonical shapes `rule`'s steps produce from its scheme shape, symbolically.
    static func symbolicResult(of rule: ConversionRule) -> Result<[[ShapeExpression]], RuleFileIssue> {
        var current = rule.shape
        for (position, step) in rule.steps.enumerated() {
            switch step {
            case let .transpose(axes):
                guard axes.sorted() == Array(0..<current.count) else {
                    return .failure(RuleFileIssue("transpose \(axes) is not a permutation of the \(current.count) axes of \(ShapeExpression.describe(current))"))
                }
                current = axes.map { current[$0] }
            case let .reshape(target):
                guard ShapeExpression.product(target) == ShapeExpression.product(current) else {
                    return .failure(RuleFileIssue("reshape \(ShapeExpression.describe(current)) → \(ShapeExpression.describe(target)) changes the element count"))
                }
                current = target
            case let .split(axis):
                guard position == rule.steps.count - 1 else { return .failure(RuleFileIssue("split must be the last step")) }
                guard axis >= 0, axis < current.count, let part = current[axis].divided(by: rule.canonical.count) else {
                    return .failure(RuleFileIssue("cannot split axis \(axis) of \(ShapeExpression.describe(current)) into \(rule.canonical.count) equal parts"))
                }
                current[axis] = part
                return .success(Array(repeating: current, count: rule.canonical.count))
            }
        }
        guard rule.canonical.count == 1 else {
            return .failure(RuleFileIssue("several canonical targets need a final split step"))
        }
        return .success([current])
    }
}
