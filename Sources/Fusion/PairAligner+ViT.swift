import Transport

extension PairAligner {
    /// The ViT flow graph (pre-LayerNorm), one stage at a time: stage 0 the embeddings (class
    /// token, position embeddings and patch projection each by their own map, stream =
    /// resid_policy(T_patch, T_pos)); stage `i + 1` encoder layer `i` (LN → attention → join →
    /// LN → MLP → join); stage `layers + 1` the final LN and the classifier / pooler as last
    /// layers. Stages must run in order; the stream map is carried between them.
    func alignViT(stage: Int) throws {
        let layers = anchor.architecture.layers
        if stage == 0 {
            try alignViTEmbeddings()
        } else if stage <= layers {
            try alignViTLayer(stage - 1, heads: try anchor.architecture.requireHeads())
        } else {
            try alignViTHead()
        }
    }

    private func alignViTEmbeddings() throws {
        guard options.fuseEmbeddings else { return }
        // Position embeddings [1, S, H] as H × S: each channel's values over the tokens.
        let pos0 = try source.channelsLast("embeddings.position_embeddings")
        let pos1 = try anchor.channelsLast("embeddings.position_embeddings")
        let pos = try linear("embeddings.position_embeddings", w0: pos0, b0: nil, w1: pos1, inMap: nil, output: streamOutput)
        record("embeddings.position_embeddings", pos.weight.transposed())
        recordMap("embeddings.position_embeddings", pos.map)

        let cls0 = try source.channelsLast("embeddings.cls_token"), cls1 = try anchor.channelsLast("embeddings.cls_token")
        var clsMap: TransportMap?
        if options.classToken != .stream {
            var f: Features? = nil
            if options.classToken == .values {
                var m = options.metric
                m.preprocessing = .none
                f = Features(source: cls0, anchor: cls1, metric: m, exact: true)
            }
            let cls = try linear("embeddings.cls_token", w0: cls0, b0: nil, w1: cls1, inMap: nil, output: .solve, features: f)
            record("embeddings.cls_token", cls.weight.storage)
            clsMap = cls.map
        }

        let w0 = try source.matrix("embeddings.patch_embeddings.projection.weight")
        let w1 = try anchor.matrix("embeddings.patch_embeddings.projection.weight")
        let patch = try linear("embeddings.patch_embeddings.projection", w0: w0, b0: try bias("embeddings.patch_embeddings.projection"),
                               w1: w1, inMap: nil, output: streamOutput, features: try actFeatures("embeddings.patch_embeddings"))
        store("embeddings.patch_embeddings.projection", patch)
        recordMap("embeddings.patch_embeddings.projection", patch.map)

        stream = try join(residual: pos.map, sublayer: patch.map, residualActs: pos1.transposed(),
                          sublayerActs: activations?.anchorActs("embeddings.patch_embeddings"), at: "embeddings")
        if options.classToken == .stream {
            record("embeddings.cls_token", channelVector(try source.vector("embeddings.cls_token"), map: stream))
            clsMap = stream
        }
        recordMap("embeddings.cls_token", clsMap)
        recordMap("embeddings", stream)
    }

    private func alignViTLayer(_ i: Int, heads: Int) throws {
        let p = "encoder.layer.\(i)."
        let residual = stream
        if options.fuseNorm { try layerNorm(p + "layernorm_before", map: stream) }
        if options.fuseAttention {
            let names = AttentionNames(query: p + "attention.attention.query", key: p + "attention.attention.key",
                                       value: p + "attention.attention.value", output: p + "attention.output.dense")
            let tO = try alignAttention(names, inMap: stream, heads: heads)
            stream = try join(residual: residual, sublayer: tO, residualActs: activations?.anchorActs(previous),
                              sublayerActs: activations?.anchorActs(p + "attention"), at: p + "attention")
        }
        recordMap(p + "attention.residual", stream)
        if options.fuseNorm { try layerNorm(p + "layernorm_after", map: stream) }
        if options.fuseMLP {
            let afterAttention = stream
            let tMLP = try alignMLP(p + "intermediate.dense", p + "output.dense", inMap: stream)
            var residualActs: Matrix?
            if let a = activations?.anchorActs(p + "attention"), let b = activations?.anchorActs(previous), a.rows == b.rows {
                residualActs = Dense.combination([(1, a), (1, b)])
            }
            stream = try join(residual: afterAttention, sublayer: tMLP, residualActs: residualActs,
                              sublayerActs: activations?.anchorActs(p + "output.dense"), at: p + "output")
        }
        recordMap(p + "output.residual", stream)
        previous = "encoder.layer.\(i)"
    }

    private func alignViTHead() throws {
        if options.fuseNorm { try layerNorm("layernorm", map: stream) }
        if options.fuseHead {
            for head in ["classifier", "pooler.dense"] where anchor.has(head + ".weight") {
                let w0 = try source.matrix(head + ".weight"), w1 = try anchor.matrix(head + ".weight")
                store(head, try linear(head, w0: w0, b0: try bias(head), w1: w1, inMap: stream, output: .fixed))
            }
        }
    }

    /// LayerNorm γ and β aligned by the stream map.
    func layerNorm(_ name: String, map: TransportMap?) throws {
        record(name + ".weight", channelVector(try source.vector(name + ".weight"), map: map))
        if options.fuseBias, source.has(name + ".bias") {
            record(name + ".bias", channelVector(try source.vector(name + ".bias"), map: map))
        }
    }

    /// The two MLP layers; returns the second one's map.
    func alignMLP(_ first: String, _ second: String, inMap: TransportMap?) throws -> TransportMap? {
        let a0 = try source.matrix(first + ".weight"), a1 = try anchor.matrix(first + ".weight")
        let fc1 = try linear(first, w0: a0, b0: try bias(first), w1: a1, inMap: inMap, output: .solve, features: try actFeatures(first))
        store(first, fc1)
        recordMap(first, fc1.map)
        let b0 = try source.matrix(second + ".weight"), b1 = try anchor.matrix(second + ".weight")
        let fc2 = try linear(second, w0: b0, b0: try bias(second), w1: b1, inMap: fc1.map, output: streamOutput, features: try actFeatures(second))
        store(second, fc2)
        recordMap(second, fc2.map)
        return fc2.map
    }
}
