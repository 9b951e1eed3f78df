import NamingSchemes

/// One place where ``Repair`` matches the fused model's channel statistics to the parents'.
///
/// `name` is both the key of the statistics and the place of the transport map in the flow
/// graph (``FusionResult/maps`` holds `model<k>/<name>`), so a site's targets come through the
/// very map that aligned its channels:
/// - `embeddings`: the stream the embeddings write (ViT: class token + position embeddings +
///   patch projection; BERT: the sum of the word, position and token-type embeddings before
///   `embeddings.LayerNorm`);
/// - `encoder.layer.N.attention.output.dense`: the attention block's output channels;
/// - `encoder.layer.N.attention.residual`: the stream after the attention join (before
///   `layernorm_after` / `attention.output.LayerNorm`);
/// - `encoder.layer.N.intermediate.dense`: the MLP hidden channels before the activation;
/// - `encoder.layer.N.output.residual`: the stream after the MLP join (before the next
///   layer's `layernorm_before`, the final `layernorm`, or `output.LayerNorm`).
struct RepairSite: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case embeddings, attentionOutput, attentionJoin, mlpHidden, mlpJoin
    }
    let kind: Kind
    /// The encoder layer, `nil` for the embeddings.
    let layer: Int?

    var name: String {
        guard let layer else { return "embeddings" }
        let p = "encoder.layer.\(layer)."
        switch kind {
        case .embeddings: return "embeddings"
        case .attentionOutput: return p + "attention.output.dense"
        case .attentionJoin: return p + "attention.residual"
        case .mlpHidden: return p + "intermediate.dense"
        case .mlpJoin: return p + "output.residual"
        }
    }

    /// The layer whose weight rows realise the correction (`nil` for the embeddings, which
    /// are rewritten column by column).
    var writer: String? {
        guard let layer else { return nil }
        let p = "encoder.layer.\(layer)."
        switch kind {
        case .embeddings: return nil
        case .attentionOutput, .attentionJoin: return p + "attention.output.dense"
        case .mlpHidden: return p + "intermediate.dense"
        case .mlpJoin: return p + "output.dense"
        }
    }

    /// The sites of `options`, in forward order (each site's statistics depend only on the
    /// sites before it).
    static func forward(layers: Int, options: RepairOptions) -> [RepairSite] {
        var sites: [RepairSite] = []
        let stream = options.sites.contains(.stream)
        if stream { sites.append(RepairSite(kind: .embeddings, layer: nil)) }
        for l in 0..<layers {
            if stream {
                sites.append(RepairSite(kind: .attentionJoin, layer: l))
            } else if options.sites.contains(.attention) {
                sites.append(RepairSite(kind: .attentionOutput, layer: l))
            }
            if options.sites.contains(.mlp) { sites.append(RepairSite(kind: .mlpHidden, layer: l)) }
            if stream { sites.append(RepairSite(kind: .mlpJoin, layer: l)) }
        }
        return sites
    }
}
