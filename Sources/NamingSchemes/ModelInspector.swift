import WeightStore

/// An architecture summary for `transfuse inspect`.
public struct ArchitectureSummary: Sendable, Equatable, Codable {
    public let scheme: String
    public let architecture: Architecture
    /// Parameters per component (`embeddings`, `encoder`, `heads`) in layout order, buffers
    /// (`position_ids`) listed separately and not counted as parameters.
    public let components: [Component]
    /// Total parameters (buffers excluded).
    public let parameters: Int

    public struct Component: Sendable, Equatable, Codable {
        public let name: String
        public let parameters: Int
    }

    /// Lines such as `family       bert (masked-lm, tied decoder omitted)`.
    public var text: String {
        let a = architecture
        var lines: [(String, String)] = [("scheme", scheme)]
        var family = "\(a.family.rawValue) (\(a.head.rawValue)"
        if a.hasPooler { family += ", pooler" }
        if a.tiedDecoder != .none { family += ", decoder \(a.tiedDecoder.rawValue)" }
        lines.append(("family", family + ")"))
        lines.append(("layers", String(a.layers)))
        lines.append(("hidden", String(a.hidden)))
        lines.append(("heads", a.heads.map { "\($0) × \(a.headDim.map(String.init) ?? "?")" } ?? "unknown (pass --heads)"))
        lines.append(("intermediate", String(a.intermediate)))
        switch a.family {
        case .vit:
            lines.append(("patch", "\(a.patch ?? 0) (\(a.channels ?? 0) channels, image \(a.imageSize.map(String.init) ?? "?"), \(a.imagePositions ?? 0) positions)"))
        case .bert:
            lines.append(("vocab", "\(a.vocab ?? 0) (\(a.positions ?? 0) positions, \(a.typeVocab ?? 0) token types)"))
        }
        if let labels = a.labels { lines.append(("labels", String(labels))) }
        lines.append(("layer norm", "eps \(a.layerNormEps), activation \(a.activation)"))
        for component in components {
            lines.append(("  " + component.name, formatCount(component.parameters)))
        }
        lines.append(("parameters", formatCount(parameters)))
        let width = lines.map(\.0.count).max() ?? 0
        return lines.map { $0.0.padding(toLength: width + 2, withPad: " ", startingAt: 0) + $0.1 }.joined(separator: "\n")
    }

    private func formatCount(_ count: Int) -> String {
        var digits = Array(String(count))
        var index = digits.count - 3
        while index > 0 { digits.insert(",", at: index); index -= 3 }
        return String(digits)
    }
}

/// Summaries and the canonical tree for `transfuse inspect`.
public enum ModelInspector {
    /// The architecture and parameters per component of a canonical model.
    public static func summary(_ model: CanonicalModel, registry: SchemeRegistry) throws -> ArchitectureSummary {
        let layout = try registry.layout(model.architecture.family.rawValue)
        var counts: [String: Int] = [:]
        var order: [String] = []
        for tensor in model.store.tensors {
            guard let spec = layout.spec(for: tensor.name)?.spec, let group = layout.groups[spec.group] else { continue }
            if counts[group.component] == nil { order.append(group.component) }
            counts[group.component, default: 0] += tensor.elementCount
        }
        let components = order.map { ArchitectureSummary.Component(name: $0, parameters: counts[$0] ?? 0) }
        let parameters = components.filter { $0.name != "buffers" }.reduce(0) { $0 + $1.parameters }
        return ArchitectureSummary(scheme: model.detected.summary, architecture: model.architecture,
                                   components: components, parameters: parameters)
    }

    /// The canonical tree for `inspect --layout`: every canonical tensor with dtype, shape,
    /// kind and axis roles; per-layer tensors once under `encoder.layer.{i}` with the layer range.
    /// Tied tensors that are not stored (the usual MLM decoder) are not listed; the summary
    /// reports them.
    public static func layoutTree(_ model: CanonicalModel, registry: SchemeRegistry) throws -> String {
        let layout = try registry.layout(model.architecture.family.rawValue)
        let layers = model.architecture.layers
        var rows: [(String, String, String, String)] = []
        var shownPerLayer = false
        for spec in layout.tensors {
            if spec.isPerLayer {
                guard let name = spec.name.expand(layer: 0, [:]), let tensor = model.store[name] else { continue }
                if !shownPerLayer {
                    rows.append(("\(spec.name.text.components(separatedBy: "{i}").first ?? ""){0…\(layers - 1)}  (\(layers) layers, each:)", "", "", ""))
                    shownPerLayer = true
                }
                let short = spec.name.text.components(separatedBy: "{i}.").last ?? spec.name.text
                rows.append(("  " + short, "\(tensor.dtype) \(Shape.describe(tensor.shape))", spec.kind.rawValue, roles(spec)))
            } else if let tensor = model.store[spec.name.text] {
                var kind = spec.kind.rawValue
                if let tied = spec.tiedTo { kind += " → \(tied)" }
                rows.append((spec.name.text, "\(tensor.dtype) \(Shape.describe(tensor.shape))", kind, roles(spec)))
            }
        }
        let widths = (0..<3).map { column in rows.map { [$0.0, $0.1, $0.2][column].count }.max() ?? 0 }
        return rows.map { row in
            if row.1.isEmpty { return row.0 }
            return row.0.padding(toLength: widths[0] + 2, withPad: " ", startingAt: 0)
                + row.1.padding(toLength: widths[1] + 2, withPad: " ", startingAt: 0)
                + row.2.padding(toLength: widths[2] + 2, withPad: " ", startingAt: 0) + row.3
        }.joined(separator: "\n")
    }

    private static func roles(_ spec: CanonicalLayout.TensorSpec) -> String {
        "(" + spec.axes.map(\.rawValue).joined(separator: ", ") + ")"
    }
}
