import Foundation
import WeightStore

/// A store in the canonical layout with what was detected about it.
public struct CanonicalModel: Sendable {
    /// Tensors under canonical names, in canonical order; metadata records the source
    /// scheme and variant (`MetadataKey`); the config is carried over unchanged.
    public var store: WeightStore
    public let detected: DetectedScheme
    public var architecture: Architecture { detected.architecture }
}

/// Converts between naming schemes through the canonical layout. Renames keep the tensors'
/// byte sources (no copy); transposes, reshapes, splits and concatenations move whole
/// elements, so every conversion is bit-exact and converting to canonical and back restores
/// the original names, shapes and bytes.
public enum SchemeConverter {
    /// Converts `store` (in scheme `scheme`, or the detected one) to the canonical layout.
    /// - Throws: `NamingSchemeError` naming the key, the rule and the shapes.
    public static func toCanonical(_ store: WeightStore, scheme: String? = nil, heads: Int? = nil,
                                   registry: SchemeRegistry) throws -> CanonicalModel {
        let match = try SchemeDetector.bestMatch(store, scheme: scheme, registry: registry)
        let layout = try registry.layout(match.scheme.family)
        var solver = SymbolSolver()
        var maxLayer = -1
        for entry in match.entries {
            try solver.observe(key: entry.tensor.name, rule: entry.rule.label, expected: entry.rule.shape, shape: entry.tensor.shape)
            if let layer = entry.layer { maxLayer = max(maxLayer, layer) }
        }
        if maxLayer >= 0 { try solver.bind("layers", maxLayer + 1, evidence: "the layer indices found run 0…\(maxLayer)") }
        try solver.solve(config: try ModelConfig(json: store.configJSON, layout: layout), heads: heads, constraints: layout.constraints)

        // Canonical order: tensors before the layers (embeddings), the layers in order, then the rest.
        var converted: [(section: Int, layer: Int, order: Int, tensor: Tensor)] = []
        let order = Dictionary(uniqueKeysWithValues: layout.tensors.enumerated().map { ($1.name.text, $0) })
        let firstPerLayer = layout.tensors.firstIndex { $0.isPerLayer } ?? layout.tensors.count
        for entry in match.entries {
            let names = entry.rule.canonical.compactMap { $0.expand(layer: entry.layer, [:]) }
            for tensor in try forward(entry.tensor, rule: entry.rule, names: names, symbols: solver.values) {
                let spec = layout.spec(for: tensor.name)
                let index = spec.flatMap { order[$0.spec.name.text] } ?? Int.max
                let section = spec?.layer != nil ? 1 : index < firstPerLayer ? 0 : 2
                converted.append((section, spec?.layer ?? 0, index, tensor))
            }
        }
        converted.sort { ($0.section, $0.layer, $0.order) < ($1.section, $1.layer, $1.order) }
        var metadata = store.metadata
        metadata[MetadataKey.layout] = "canonical"
        metadata[MetadataKey.sourceScheme] = match.scheme.name
        if match.dialect.name != match.scheme.dialects[0].name || match.values != match.dialect.defaultValues {
            metadata[MetadataKey.variant(match.scheme.name)] = encodeVariant(dialect: match.dialect.name, values: match.values)
        }
        let config = try ModelConfig(json: store.configJSON, layout: layout)
        if config.values["heads"] == nil, let found = solver.values["heads"] {
            metadata[MetadataKey.heads] = String(found)
        }
        let canonical = try WeightStore(tensors: converted.map(\.tensor), metadata: metadata, configJSON: store.configJSON)
        let contents = try layout.check(canonical, heads: heads, scheme: match.label) {
            match.dialect.key(forCanonical: $0, layout: layout, values: match.values)
        }
        let architecture = try makeArchitecture(canonical, contents: contents, layout: layout, defaults: match.scheme.defaults)
        let detected = DetectedScheme(scheme: match.scheme.name, dialect: match.dialect.name, variant: match.values,
                                      architecture: architecture)
        return CanonicalModel(store: canonical, detected: detected)
    }

    /// Converts a canonical store to `scheme`, in the variant remembered in the store's
    /// metadata for that scheme, or `variant`, or the scheme's first dialect with default
    /// placeholder values.
    /// - Parameter variant: placeholder values (and optionally `"dialect"`) to use.
    /// - Throws: `NamingSchemeError.unrepresentable` for canonical tensors the scheme has no
    ///   rule for (tied copies equal to their source are dropped instead), `missingHeads` when
    ///   the scheme splits heads and the head count is unknown.
    public static func fromCanonical(_ store: WeightStore, to scheme: String, variant: [String: String]? = nil,
                                     heads: Int? = nil, registry: SchemeRegistry) throws -> WeightStore {
        let identity = try SchemeDetector.bestMatch(store, scheme: "canonical", registry: registry)
        let family = identity.scheme.family
        let layout = try registry.layout(family)
        let target = try registry.scheme(named: scheme, family: family)
        let contents = try layout.check(store, heads: heads, scheme: "canonical")
        let remembered = store.metadata[MetadataKey.variant(scheme)].flatMap(decodeVariant)
        var requested = variant ?? remembered?.values ?? [:]
        let dialectName = requested.removeValue(forKey: "dialect") ?? remembered?.dialect ?? target.dialects[0].name
        guard let dialect = target.dialects.first(where: { $0.name == dialectName }) else {
            throw NamingSchemeError.unrepresentable(canonical: "the model", scheme: scheme,
                                                    reason: "no dialect '\(dialectName)' (dialects: \(target.dialects.map(\.name).joined(separator: ", ")))")
        }
        var values = dialect.defaultValues
        for (name, value) in requested {
            guard dialect.placeholders[name]?.contains(value) == true else {
                throw NamingSchemeError.unrepresentable(canonical: "the model", scheme: scheme,
                                                        reason: "placeholder {\(name)} cannot be '\(value)' in dialect \(dialect.name)")
            }
            values[name] = value
        }
        var consumed: Set<String> = []
        // Each output tensor sorts at the position of its first canonical part, so the result
        // follows the canonical store's order (layer by layer), not the order of the rules.
        let position = Dictionary(store.names.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        var output: [(position: Int, tensor: Tensor)] = []
        for rule in dialect.rules {
            let layers: [Int?] = rule.key.isPerLayer ? Array(0..<contents.layers) : [nil]
            for layer in layers {
                let names = rule.canonical.compactMap { $0.expand(layer: layer, [:]) }
                let parts = names.compactMap { store[$0] }
                if parts.isEmpty { continue }
                guard let key = rule.key.expand(layer: layer, values) else { continue }
                guard parts.count == names.count else {
                    throw NamingSchemeError.cannotTransform(key: key, rule: rule.label,
                                                            reason: "needs \(names.joined(separator: ", ")) but only \(parts.map(\.name).joined(separator: ", ")) are present")
                }
                let first = names.compactMap { position[$0] }.min() ?? Int.max
                output.append((first, try backward(parts, rule: rule, key: key, symbols: contents.symbols, scheme: scheme)))
                consumed.formUnion(names)
            }
        }
        for tensor in store.tensors where !consumed.contains(tensor.name) {
            if let spec = layout.spec(for: tensor.name)?.spec, spec.kind == .tied, let source = spec.tiedTo,
               let original = store[source], try sameBytes(tensor, original) {
                continue
            }
            throw NamingSchemeError.unrepresentable(canonical: tensor.name, scheme: scheme,
                                                    reason: "the scheme has no rule for it (rule file \(target.source))")
        }
        var metadata = store.metadata
        for key in [MetadataKey.layout, MetadataKey.sourceScheme, MetadataKey.heads, MetadataKey.variant(scheme)] {
            metadata[key] = nil
        }
        let ordered = output.enumerated().sorted { ($0.element.position, $0.offset) < ($1.element.position, $1.offset) }
        return try WeightStore(tensors: ordered.map(\.element.tensor), metadata: metadata, configJSON: store.configJSON)
    }

    /// Converts `store` from scheme `from` (or the detected one) to scheme `to` (in `variant`,
    /// as `fromCanonical` explains).
    public static func convert(_ store: WeightStore, from: String? = nil, to: String, variant: [String: String]? = nil,
                               heads: Int? = nil, registry: SchemeRegistry) throws -> WeightStore {
        let canonical = try toCanonical(store, scheme: from, heads: heads, registry: registry)
        return try fromCanonical(canonical.store, to: to, variant: variant, heads: heads ?? canonical.architecture.heads,
                                 registry: registry)
    }

    // MARK: - Variant memory

    static func encodeVariant(dialect: String, values: [String: String]) -> String {
        let object: [String: Any] = ["dialect": dialect, "values": values]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    static func decodeVariant(_ text: String) -> (dialect: String, values: [String: String])? {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any],
              let dialect = object["dialect"] as? String, let values = object["values"] as? [String: String] else { return nil }
        return (dialect, values)
    }

    private static func sameBytes(_ a: Tensor, _ b: Tensor) throws -> Bool {
        guard a.dtype == b.dtype, a.shape == b.shape else { return false }
        if a.source === b.source { return true }   // one source renamed: equal without reading it
        return try a.withBytes { x in try b.withBytes { y in x.elementsEqual(y) } }
    }
}
