import NamingSchemes

/// One place where ``Repair`` matches the fused model's channel statistics to the parents'.
///
/// `name` keys the statistics; `mapPlace` is the place of the transport map in the flow graph
/// that aligned the site's channels (``FusionResult/maps`` holds `model<k>/<mapPlace>`), so a
/// site's targets come through the very map its channels were fused with. Sites:
/// - `embeddings` (stream): the stream the embeddings write (ViT: class token + position
///   embeddings + patch projection; BERT: the sum of the word, position and token-type
///   embeddings before `embeddings.LayerNorm`);
/// - `encoder.layer.N.attention.output.dense` (attention): the attention block's output;
/// - `encoder.layer.N.attention.residual` (stream): the stream after the attention join,
///   before `layernorm_after` / `attention.output.LayerNorm`;
/// - `encoder.layer.N.intermediate.dense` (mlp): the MLP hidden channels before the activation;
/// - `encoder.layer.N.output.residual` (stream): the stream after the MLP join, before the
///   next layer's `layernorm_before`, the final `layernorm` or `output.LayerNorm`;
/// - a LayerNorm's name (norm): its output, corrected exactly through its γ and β (ViT:
///   `encoder.layer.N.layernorm_before`, `….layernorm_after`, `layernorm`; BERT:
///   `embeddings.LayerNorm`, `….attention.output.LayerNorm`, `….output.LayerNorm`).
struct RepairSite: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case embeddings, attentionOutput, attentionJoin, mlpHidden, mlpJoin, norm
    }
    let kind: Kind
    /// The statistics key (see above).
    let name: String
    /// The map that aligned the site's channels.
    let mapPlace: String
    /// The layer (LayerNorm, linear layer) whose rows / channels realise the correction;
    /// `nil` for the embeddings, which are rewritten column by column.
    let writer: String?
    /// Encoder layers the forward pass must run to measure the site (at least 1).
    let depth: Int

    /// The sites of `options` for `family` with `layers` encoder layers, in forward order
    /// (each site's statistics depend only on the sites before it).
    static func forward(family: Architecture.Family, layers: Int, options: RepairOptions) -> [RepairSite] {
        var sites: [RepairSite] = []
        let stream = options.sites.contains(.stream), norm = options.sites.contains(.norm)
        func add(_ kind: Kind, _ name: String, map: String, writer: String?, depth: Int) {
            sites.append(RepairSite(kind: kind, name: name, mapPlace: map, writer: writer, depth: max(depth, 1)))
        }
        if stream { add(.embeddings, "embeddings", map: "embeddings", writer: nil, depth: 1) }
        if norm, family == .bert { add(.norm, "embeddings.LayerNorm", map: "embeddings", writer: "embeddings.LayerNorm", depth: 1) }
        for l in 0..<layers {
            let p = "encoder.layer.\(l)."
            let entering = l == 0 ? "embeddings" : "encoder.layer.\(l - 1).output.residual"
            if norm, family == .vit { add(.norm, p + "layernorm_before", map: entering, writer: p + "layernorm_before", depth: l + 1) }
            if stream {
                add(.attentionJoin, p + "attention.residual", map: p + "attention.residual", writer: p + "attention.output.dense", depth: l + 1)
            } else if options.sites.contains(.attention) {
                add(.attentionOutput, p + "attention.output.dense", map: p + "attention.output.dense", writer: p + "attention.output.dense", depth: l + 1)
            }
            if norm {
                let ln = family == .vit ? p + "layernorm_after" : p + "attention.output.LayerNorm"
                add(.norm, ln, map: p + "attention.residual", writer: ln, depth: l + 1)
            }
            if options.sites.contains(.mlp) {
                add(.mlpHidden, p + "intermediate.dense", map: p + "intermediate.dense", writer: p + "intermediate.dense", depth: l + 1)
            }
            if stream { add(.mlpJoin, p + "output.residual", map: p + "output.residual", writer: p + "output.dense", depth: l + 1) }
            if norm, family == .bert { add(.norm, p + "output.LayerNorm", map: p + "output.residual", writer: p + "output.LayerNorm", depth: l + 1) }
        }
        if norm, family == .vit, layers > 0 {
            add(.norm, "layernorm", map: "encoder.layer.\(layers - 1).output.residual", writer: "layernorm", depth: layers)
        }
        return sites
    }
}
