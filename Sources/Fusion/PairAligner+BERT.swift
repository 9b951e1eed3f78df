import Transport

extension PairAligner {
    /// The BERT flow graph (post-LayerNorm), one stage at a time: stage 0 the embeddings (word,
    /// position and token-type embeddings share one map: they are summed into one stream);
    /// stage `i + 1` encoder layer `i` (attention → join → LN → MLP → join → LN); stage
    /// `layers + 1` the pooler / classifier / next-sentence head and the MLM transform, which
    /// outputs in the embedding map (its decoder stays tied to the fused word embeddings).
    /// Stages must run in order; the stream and embedding maps are carried between them.
    func alignBERT(stage: Int) throws {
        let layers = anchor.architecture.layers
        if stage == 0 {
            try alignBERTEmbeddings()
        } else if stage <= layers {
            try alignBERTLayer(stage - 1, heads: try anchor.architecture.requireHeads())
        } else {
            try alignBERTHead()
        }
    }

    private func alignBERTEmbeddings() throws {
        guard options.fuseEmbeddings else { return }
        let tables = ["embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
                      "embeddings.token_type_embeddings.weight"].filter { anchor.has($0) }
        let parts0 = try tables.map { try source.channelsLast($0) }, parts1 = try tables.map { try anchor.channelsLast($0) }
        for (k, name) in tables.enumerated() where parts0[k].cols != parts1[k].cols {
            throw FusionError.incompatibleModels("\(name): \(parts0[k].cols) rows in \(source.label), \(parts1[k].cols) in the anchor \(anchor.label) (vocabulary, positions and token types must agree)")
        }
        let w0 = Dense.concatColumns(parts0), w1 = Dense.concatColumns(parts1)
        let emb = try linear("embeddings", w0: w0, b0: nil, w1: w1, inMap: nil, output: streamOutput, features: try actFeatures("embeddings"))
        var offset = 0
        for (k, name) in tables.enumerated() {
            var part = Matrix(rows: emb.weight.rows, cols: parts1[k].cols)
            for i in 0..<part.rows {
                for j in 0..<part.cols { part[i, j] = emb.weight[i, offset + j] }
            }
            offset += parts1[k].cols
            record(name, part.transposed())
        }
        let map = emb.map ?? fixedStream
        recordMap("embeddings", map)
        stream = map
        embeddingMap = map
        if options.fuseNorm { try layerNorm("embeddings.LayerNorm", map: stream) }
    }

    private func alignBERTLayer(_ i: Int, heads: Int) throws {
        let p = "encoder.layer.\(i)."
        let residual = stream
        if options.fuseAttention {
            let names = AttentionNames(query: p + "attention.self.query", key: p + "attention.self.key",
                                       value: p + "attention.self.value", output: p + "attention.output.dense")
            let tO = try alignAttention(names, inMap: stream, heads: heads)
            stream = try join(residual: residual, sublayer: tO, residualActs: activations?.anchorActs(previous),
                              sublayerActs: activations?.anchorActs(p + "attention.output.dense"), at: p + "attention")
        }
        recordMap(p + "attention.residual", stream)
        if options.fuseNorm { try layerNorm(p + "attention.output.LayerNorm", map: stream) }
        if options.fuseMLP {
            let afterAttention = stream
            let tMLP = try alignMLP(p + "intermediate.dense", p + "output.dense", inMap: stream)
            stream = try join(residual: afterAttention, sublayer: tMLP, residualActs: activations?.anchorActs(p + "attention"),
                              sublayerActs: activations?.anchorActs(p + "output.dense"), at: p + "output")
        }
        recordMap(p + "output.residual", stream)
        if options.fuseNorm { try layerNorm(p + "output.LayerNorm", map: stream) }
        previous = "encoder.layer.\(i)"
    }

    private func alignBERTHead() throws {
        guard options.fuseHead else { return }
        var pooled: TransportMap?
        if anchor.has("pooler.dense.weight") {
            let feedsHead = anchor.has("classifier.weight") || anchor.has("cls.seq_relationship.weight")
            let w0 = try source.matrix("pooler.dense.weight"), w1 = try anchor.matrix("pooler.dense.weight")
            let r = try linear("pooler.dense", w0: w0, b0: try bias("pooler.dense"), w1: w1, inMap: stream,
                               output: feedsHead ? .solve : .fixed, features: try actFeatures("pooler.dense"))
            store("pooler.dense", r)
            recordMap("pooler.dense", r.map)
            pooled = r.map
        }
        for head in ["classifier", "cls.seq_relationship"] where anchor.has(head + ".weight") {
            let w0 = try source.matrix(head + ".weight"), w1 = try anchor.matrix(head + ".weight")
            store(head, try linear(head, w0: w0, b0: try bias(head), w1: w1, inMap: pooled, output: .fixed))
        }
        if anchor.has("cls.predictions.transform.dense.weight") {
            let name = "cls.predictions.transform.dense"
            let w0 = try source.matrix(name + ".weight"), w1 = try anchor.matrix(name + ".weight")
            let output: Output = embeddingMap.map { .forced($0) } ?? .fixed
            store(name, try linear(name, w0: w0, b0: try bias(name), w1: w1, inMap: stream, output: output))
            if options.fuseNorm { try layerNorm("cls.predictions.transform.LayerNorm", map: embeddingMap) }
            if options.fuseBias { try copySource("cls.predictions.bias") }
        }
    }
}
