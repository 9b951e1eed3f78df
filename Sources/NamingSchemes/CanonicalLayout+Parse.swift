import Foundation

extension CanonicalLayout {
    /// The layout file format this build reads.
    public static let formatVersion = 1

    /// Parses a layout file (`Schemas/<family>.json`), validating it strictly: known fields
    /// only, shapes over declared symbols, one role per axis, groups declared, unique names,
    /// `tied_to` naming a tensor of the same shape.
    /// - Parameter source: the file path, used in error messages.
    static func parse(_ data: Data, source: String) throws -> CanonicalLayout {
        do {
            return try parseUnlabelled(data, source: source)
        } catch {
            throw ruleFileError(error, file: source)
        }
    }

    private static func parseUnlabelled(_ data: Data, source: String) throws -> CanonicalLayout {
        let root = try JSONNode.parse(data).get()
        let fields = try root.object(allowing: ["format_version", "family", "description", "symbols",
                                                "constraints", "groups", "tensors"])
        guard let version = fields["format_version"] else { throw root.issue("missing 'format_version'") }
        guard try version.int() == formatVersion else {
            throw version.issue("format_version \(try version.int()) is not supported (this build reads \(formatVersion))")
        }
        guard let familyNode = fields["family"] else { throw root.issue("missing 'family'") }
        let family = try familyNode.string()
        let description = try fields["description"]?.string() ?? ""

        guard let symbolsNode = fields["symbols"] else { throw root.issue("missing 'symbols'") }
        var symbols: [String: [String]] = [:]
        for (name, node) in try symbolsNode.dictionary() {
            let symbolFields = try node.object(allowing: ["config", "description"])
            symbols[name] = try symbolFields["config"]?.strings() ?? []
        }
        let known = Set(symbols.keys)

        var constraints: [(ShapeExpression, ShapeExpression)] = []
        for node in try fields["constraints"]?.array() ?? [] {
            let sides = try node.array()
            guard sides.count == 2 else { throw node.issue("a constraint is a pair [left, right]") }
            let left = try ShapeExpression.parse(try sides[0].string(), known: known).mapError { sides[0].issue($0.reason) }.get()
            let right = try ShapeExpression.parse(try sides[1].string(), known: known).mapError { sides[1].issue($0.reason) }.get()
            constraints.append((left, right))
        }

        guard let groupsNode = fields["groups"] else { throw root.issue("missing 'groups'") }
        var groups: [String: Group] = [:]
        for (name, node) in try groupsNode.dictionary() {
            let groupFields = try node.object(allowing: ["required", "component", "description"])
            guard let required = groupFields["required"], let component = groupFields["component"] else {
                throw node.issue("a group needs 'required' and 'component'")
            }
            groups[name] = Group(name: name, required: try required.bool(), component: try component.string(),
                                 description: try groupFields["description"]?.string() ?? "")
        }

        guard let tensorsNode = fields["tensors"] else { throw root.issue("missing 'tensors'") }
        var tensors: [TensorSpec] = []
        var seen: Set<String> = []
        for node in try tensorsNode.array() {
            let spec = try parseTensor(node, known: known, groups: groups)
            guard seen.insert(spec.name.text).inserted else { throw node.issue("tensor '\(spec.name.text)' is listed twice") }
            tensors.append(spec)
        }
        for spec in tensors {
            guard let target = spec.tiedTo else { continue }
            guard let tied = tensors.first(where: { $0.name.text == target }) else {
                throw root.issue("'\(spec.name.text)' is tied to '\(target)', which is not in the layout")
            }
            guard tied.shape == spec.shape else {
                throw root.issue("'\(spec.name.text)' is tied to '\(target)' but their shapes differ")
            }
        }
        return CanonicalLayout(family: family, description: description, symbols: symbols,
                               constraints: constraints, groups: groups, tensors: tensors, source: source)
    }

    private static func parseTensor(_ node: JSONNode, known: Set<String>, groups: [String: Group]) throws -> TensorSpec {
        let fields = try node.object(allowing: ["name", "shape", "kind", "axes", "group", "tied_to", "description"])
        guard let nameNode = fields["name"], let shapeNode = fields["shape"], let kindNode = fields["kind"],
              let axesNode = fields["axes"], let groupNode = fields["group"] else {
            throw node.issue("a tensor needs 'name', 'shape', 'kind', 'axes' and 'group'")
        }
        let name = try KeyTemplate.parse(try nameNode.string()).mapError { nameNode.issue($0.reason) }.get()
        guard name.placeholders.allSatisfy({ $0 == KeyTemplate.layer }) else {
            throw nameNode.issue("canonical names may only use the placeholder {i}")
        }
        let shape = try shapeNode.array().map { dim in
            try ShapeExpression.parse(try dim.string(), known: known).mapError { dim.issue($0.reason) }.get()
        }
        let kindText = try kindNode.string()
        guard let kind = Kind(rawValue: kindText) else {
            throw kindNode.issue("unknown kind '\(kindText)' (known: \(Kind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let axes = try axesNode.array().map { axis -> AxisRole in
            let text = try axis.string()
            guard let role = AxisRole(rawValue: text) else {
                throw axis.issue("unknown axis role '\(text)' (known: \(AxisRole.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return role
        }
        guard axes.count == shape.count else {
            throw axesNode.issue("\(axes.count) axis roles for a shape of rank \(shape.count)")
        }
        let group = try groupNode.string()
        guard groups[group] != nil else { throw groupNode.issue("undeclared group '\(group)'") }
        let tiedTo = try fields["tied_to"]?.string()
        if (kind == .tied) != (tiedTo != nil) {
            throw node.issue("a tensor has 'tied_to' exactly when its kind is 'tied'")
        }
        return TensorSpec(name: name, shape: shape, kind: kind, axes: axes, group: group, tiedTo: tiedTo)
    }
}
