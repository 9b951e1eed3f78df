import WeightStore

extension SchemeConverter {
    /// The architecture of a checked canonical store.
    static func makeArchitecture(_ store: WeightStore, contents: CanonicalContents, layout: CanonicalLayout,
                                 defaults: Scheme.Defaults) throws -> Architecture {
        let s = contents.symbols
        let groups = contents.groups
        let family: Architecture.Family = layout.family == "vit" ? .vit : .bert
        let head: Architecture.Head
        switch family {
        case .vit:
            head = groups.contains("classifier") ? .imageClassification : .none
        case .bert:
            if groups.contains("classifier") { head = .sequenceClassification }
            else if groups.contains("mlm_head") { head = groups.contains("nsp_head") ? .preTraining : .maskedLM }
            else { head = .none }
        }
        var tied: Architecture.TiedDecoder = .none
        if groups.contains("mlm_head") {
            tied = .omitted
            if let decoder = store["cls.predictions.decoder.weight"], let embeddings = store["embeddings.word_embeddings.weight"] {
                let equal = try decoder.dtype == embeddings.dtype && decoder.shape == embeddings.shape
                    && decoder.withBytes { a in try embeddings.withBytes { b in a.elementsEqual(b) } }
                tied = equal ? .storedTied : .storedUntied
            }
        }
        var imageSize = contents.config.imageSize
        if imageSize == nil, let positions = s["image_positions"], let patch = s["patch"] {
            let side = Int(Double(positions - 1).squareRoot().rounded())
            if side * side == positions - 1 { imageSize = side * patch }
        }
        return Architecture(
            family: family, layers: contents.layers, hidden: s["hidden"] ?? 0, heads: s["heads"], headDim: s["head_dim"],
            intermediate: s["intermediate"] ?? 0, vocab: s["vocab"], positions: s["positions"], typeVocab: s["type_vocab"],
            patch: s["patch"], channels: s["channels"], imageSize: imageSize, imagePositions: s["image_positions"],
            labels: groups.contains("classifier") ? s["labels"] : nil,
            layerNormEps: contents.config.layerNormEps ?? defaults.layerNormEps ?? 1e-12,
            activation: contents.config.activation ?? defaults.activation ?? "gelu",
            hasPooler: groups.contains("pooler"), head: head, tiedDecoder: tied, symbols: s)
    }
}
