import Transport

/// `stream_alignment: global` — one transport map for the whole residual stream.
///
/// Every encoder layer reads the stream (LayerNorms, Q/K/V, the MLP's first layer) and writes
/// into it (the attention output projection, the MLP's second layer), all in the same channel
/// basis, so a function-preserving alignment of two models permutes the stream's channels
/// once, everywhere. The paper's flow instead solves one map per writing sublayer and averages
/// maps where streams join (`resid_policy`), so the stream's map drifts from layer to layer.
/// Here the stream map is solved once from every stream-indexed feature of the model:
/// - activation mode: the stream's activations after the embeddings and after every layer,
///   concatenated over samples (`H × (L+1)·samples`);
/// - weight mode: every stream-indexed weight vector concatenated (`H × F`), the other axis of
///   each weight aligned to the anchor by the inner maps (Q, K, V, MLP) of the previous round;
///   the first round takes them from the per-layer flow (weight matching, Ainsworth et al.
///   2023, with OT as the matching step).
extension PairAligner {
    /// Which axis of a stored tensor is the stream's.
    enum StreamAxis {
        /// `[stream, other]` (a layer writing into the stream).
        case rows
        /// `[other, stream]` (a layer reading the stream).
        case columns
        /// `[stream]` (LayerNorm, biases of writing layers).
        case vector
        /// `[..., stream]` (embedding tables, class token).
        case channelsLast
    }

    /// One stream-indexed tensor and the map name (in ``maps``) of its other axis; `nil`
    /// when the other axis is fixed (pixels, tokens, classes, vocabulary).
    struct StreamTensor {
        let name: String
        let axis: StreamAxis
        let otherMap: [String]

        init(_ name: String, _ axis: StreamAxis, _ otherMap: [String] = []) {
            self.name = name
            self.axis = axis
            self.otherMap = otherMap
        }
    }

    /// The stream-indexed tensors of the anchor's family; map names are tried in order
    /// (`qk_fusion` modes record Q and K under their own names or as `query+key`).
    func streamTensors() -> [StreamTensor] {
        let layers = anchor.architecture.layers
        var list: [StreamTensor] = []
        func attention(_ p: String, _ q: String, _ k: String, _ v: String) {
            list += [StreamTensor(p + q + ".weight", .columns, [p + q, p + q + "+key"]),
                     StreamTensor(p + k + ".weight", .columns, [p + k, p + q + "+key"]),
                     StreamTensor(p + v + ".weight", .columns, [p + v]),
                     StreamTensor(p + "attention.output.dense.weight", .rows, [p + v]),
                     StreamTensor(p + "attention.output.dense.bias", .vector)]
        }
        func mlp(_ p: String) {
            list += [StreamTensor(p + "intermediate.dense.weight", .columns, [p + "intermediate.dense"]),
                     StreamTensor(p + "output.dense.weight", .rows, [p + "intermediate.dense"]),
                     StreamTensor(p + "output.dense.bias", .vector)]
        }
        func norm(_ name: String) {
            list += [StreamTensor(name + ".weight", .vector), StreamTensor(name + ".bias", .vector)]
        }
        switch anchor.architecture.family {
        case .vit:
            list += [StreamTensor("embeddings.cls_token", .channelsLast),
                     StreamTensor("embeddings.position_embeddings", .channelsLast),
                     StreamTensor("embeddings.patch_embeddings.projection.weight", .rows),
                     StreamTensor("embeddings.patch_embeddings.projection.bias", .vector)]
            for i in 0..<layers {
                let p = "encoder.layer.\(i)."
                norm(p + "layernorm_before")
                attention(p, "attention.attention.query", "attention.attention.key", "attention.attention.value")
                norm(p + "layernorm_after")
                mlp(p)
            }
            norm("layernorm")
            list.append(StreamTensor("classifier.weight", .columns))
        case .bert:
            list += ["word_embeddings", "position_embeddings", "token_type_embeddings"].map {
                StreamTensor("embeddings.\($0).weight", .channelsLast)
            }
            norm("embeddings.LayerNorm")
            for i in 0..<layers {
                let p = "encoder.layer.\(i)."
                attention(p, "attention.self.query", "attention.self.key", "attention.self.value")
                norm(p + "attention.output.LayerNorm")
                mlp(p)
                norm(p + "output.LayerNorm")
            }
            norm("cls.predictions.transform.LayerNorm")
        }
        return list.filter { anchor.has($0.name) && source.has($0.name) }
    }

    /// The stream features of the source (`H0 × F`, other axes in the anchor's basis through
    /// `maps`) and of the anchor (`H1 × F`).
    func streamWeightFeatures(maps: [String: TransportMap]) throws -> Features {
        var sourceParts: [Matrix] = [], anchorParts: [Matrix] = []
        for t in streamTensors() {
            switch t.axis {
            case .vector:
                sourceParts.append(try column(source.vector(t.name)))
                anchorParts.append(try column(anchor.vector(t.name)))
            case .channelsLast:
                sourceParts.append(try source.channelsLast(t.name))
                anchorParts.append(try anchor.channelsLast(t.name))
            case .rows, .columns:
                var w0 = try source.matrix(t.name), w1 = try anchor.matrix(t.name)
                if t.axis == .columns { w0 = w0.transposed(); w1 = w1.transposed() }   // stream × other
                if let map = t.otherMap.lazy.compactMap({ maps[$0] }).first {
                    // Joint Q/K maps span Q and K's rows together; use the part of this tensor.
                    let part = map.rows == w0.cols ? map : try subMap(map, for: t, rows: w0.cols, cols: w1.cols)
                    w0 = Dense.timesMap(w0, part.side(.input, scaling))
                }
                guard w0.cols == w1.cols else {
                    throw FusionError.tensorShape(model: source.label, tensor: t.name, expected: "\(w1.cols) channels on the non-stream axis after alignment (the anchor's)",
                                                  found: "\(w0.cols)")
                }
                sourceParts.append(w0)
                anchorParts.append(w1)
            }
        }
        return Features(source: Dense.concatColumns(sourceParts), anchor: Dense.concatColumns(anchorParts))
    }

    /// The stream's activations after the embeddings and after every layer (`H × samples·(L+1)`).
    func streamActivationFeatures() throws -> Features? {
        guard let activations else { return nil }
        var sourceParts: [Matrix] = [], anchorParts: [Matrix] = []
        for name in ["embeddings"] + (0..<anchor.architecture.layers).map({ "encoder.layer.\($0)" }) {
            let (s, a) = try activations.features(name)
            sourceParts.append(s)
            anchorParts.append(a)
        }
        return Features(source: Dense.concatColumns(sourceParts), anchor: Dense.concatColumns(anchorParts))
    }

    /// The block of a joint (`[Q; K]` rows) map that belongs to `t` (Q: first half, K: second).
    private func subMap(_ map: TransportMap, for t: StreamTensor, rows: Int, cols: Int) throws -> TransportMap {
        guard map.rows == 2 * rows, map.cols == 2 * cols else {
            throw FusionError.tensorShape(model: source.label, tensor: t.name, expected: "a map of \(rows) × \(cols)",
                                          found: "\(map.rows) × \(map.cols)")
        }
        let offset = t.name.contains("key") ? 1 : 0
        var m = Matrix(rows: rows, cols: cols)
        let whole = map.matrix
        for i in 0..<rows {
            for j in 0..<cols { m[i, j] = whole[offset * rows + i, offset * cols + j] }
        }
        return TransportMap(scaled: m)
    }

    private func column(_ v: [Double]) throws -> Matrix { try Matrix(rows: v.count, cols: 1, values: v) }

    /// Solves the global stream map from `features` with the configured metric and solver.
    func solveStream(_ features: Features) throws -> TransportMap {
        try solve("residual stream", features, inRows: nil, inCols: nil)
    }

    /// Finds ``fixedStream`` before stage 0. Activation mode: one solve on the stream's
    /// activations. Weight mode: a full pass of the per-layer flow gives the inner maps, the
    /// stream features they align give a stream map; then up to `stream_rounds − 1` passes with
    /// that stream map fixed refine the inner maps and the stream map, stopping when it no
    /// longer changes. The passes' tensors are discarded; their OT time is counted here.
    func searchGlobalStream() throws {
        if options.alignment == .activations, let features = try streamActivationFeatures() {
            progress("  residual stream: one map from the stream's activations after every layer")
            fixedStream = try solveStream(features)
            return
        }
        func pass(_ stream: TransportMap?) throws -> PairAligner {
            let round = PairAligner(source: source, anchor: anchor, options: options, activations: activations,
                                    keepMaps: true, progress: { _ in })
            round.isStreamSearch = true
            round.fixedStream = stream
            for stage in 0..<round.stageCount {
                try round.align(stage: stage)
                _ = round.takeAligned()
            }
            transportSeconds += round.transportSeconds
            return round
        }
        func maps(_ round: PairAligner) -> [String: TransportMap] {
            Dictionary(round.maps.map { ($0.name, $0.map) }, uniquingKeysWith: { _, last in last })
        }
        progress("  residual stream: round 1 of at most \(options.streamRounds) (per-layer flow)")
        var round = try pass(nil)
        var stream = try solveStream(try round.streamWeightFeatures(maps: maps(round)))
        for r in 1..<max(options.streamRounds, 1) {
            progress("  residual stream: round \(r + 1) of at most \(options.streamRounds)")
            round = try pass(stream)
            let next = try solveStream(try round.streamWeightFeatures(maps: maps(round)))
            if next.matrix.storage == stream.matrix.storage { break }
            stream = next
        }
        fixedStream = stream
    }
}
