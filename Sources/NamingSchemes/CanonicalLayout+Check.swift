import WeightStore

/// What a checked canonical store contains.
struct CanonicalContents {
    /// Values of the dimension symbols (heads/head_dim may be missing).
    let symbols: [String: Int]
    let layers: Int
    /// Groups with at least one tensor present.
    let groups: Set<String>
    let config: ModelConfig
}

extension CanonicalLayout {
    /// Checks a store in canonical names against the layout: every tensor known, every
    /// required group complete for every layer, optional groups all-or-nothing, every shape
    /// equal to its symbolic shape under one consistent set of symbol values (from the shapes,
    /// the config and `heads`).
    /// - Parameter schemeKey: names the scheme key holding a canonical tensor, for messages.
    func check(_ store: WeightStore, heads: Int?, scheme: String,
               schemeKey: (String) -> String = { $0 }) throws -> CanonicalContents {
        var solver = SymbolSolver()
        var maxLayer = -1
        var present: Set<String> = []
        for tensor in store.tensors {
            guard let (spec, layer) = spec(for: tensor.name) else {
                throw NamingSchemeError.unknownCanonicalTensor(name: tensor.name, family: family)
            }
            if let layer { maxLayer = max(maxLayer, layer) }
            present.insert(tensor.name)
            try solver.observe(key: schemeKey(tensor.name), rule: "canonical \(spec.name.text)", expected: spec.shape, shape: tensor.shape)
        }
        let layers = maxLayer + 1
        if layers > 0 {
            try solver.bind("layers", layers, evidence: "the layer indices found run 0…\(layers - 1)")
        }
        let config = try ModelConfig(json: store.configJSON, layout: self)
        let remembered = store.metadata[MetadataKey.heads].flatMap(Int.init)
        try solver.solve(config: config, heads: heads ?? remembered, constraints: constraints)

        var groupsPresent: Set<String> = []
        for group in groups.values.sorted(by: { $0.name < $1.name }) {
            var expected: [String] = []
            for spec in tensors where spec.group == group.name {
                if spec.isPerLayer {
                    expected += (0..<layers).compactMap { spec.name.expand(layer: $0, [:]) }
                } else {
                    expected.append(spec.name.text)
                }
            }
            let found = expected.filter(present.contains)
            let missing = expected.filter { !present.contains($0) }
            if !found.isEmpty { groupsPresent.insert(group.name) }
            if group.required, let first = missing.first {
                throw NamingSchemeError.missingTensor(key: schemeKey(first), canonical: first, scheme: scheme)
            }
            if !group.required, !found.isEmpty, !missing.isEmpty {
                throw NamingSchemeError.incompleteGroup(group: "\(group.name) (\(group.description))",
                                                        present: found.map(schemeKey), missing: missing.map(schemeKey))
            }
        }
        return CanonicalContents(symbols: solver.values, layers: layers, groups: groupsPresent, config: config)
    }
}
