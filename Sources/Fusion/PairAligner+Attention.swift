import Transport

/// Canonical names (without `.weight` / `.bias`) of one attention block's projections.
struct AttentionNames {
    let query: String, key: String, value: String, output: String
}

extension PairAligner {
    /// Aligns Q, K, V (input side by the stream map `inMap`) and the output projection (input
    /// side by V's map), following `qk_fusion` and `heads`.
    /// - Returns: the output projection's map `T_O` (hidden0 × hidden1).
    func alignAttention(_ n: AttentionNames, inMap: TransportMap?, heads: Int) throws -> TransportMap? {
        let q0 = try source.matrix(n.query + ".weight"), q1 = try anchor.matrix(n.query + ".weight")
        let k0 = try source.matrix(n.key + ".weight"), k1 = try anchor.matrix(n.key + ".weight")
        let v0 = try source.matrix(n.value + ".weight"), v1 = try anchor.matrix(n.value + ".weight")
        let qb0 = try bias(n.query), kb0 = try bias(n.key), vb0 = try bias(n.value)
        var tV: TransportMap?
        if options.heads == .within {
            let maps = try withinHeadMaps(n, q0: q0, q1: q1, k0: k0, k1: k1, v0: v0, v1: v1, inMap: inMap, heads: heads)
            let q = try linear(n.query, w0: q0, b0: qb0, w1: q1, inMap: inMap, output: .forced(maps.qk))
            let k = try linear(n.key, w0: k0, b0: kb0, w1: k1, inMap: inMap, output: .forced(maps.qk))
            let v = try linear(n.value, w0: v0, b0: vb0, w1: v1, inMap: inMap, output: .forced(maps.v))
            store(n.query, q); store(n.key, k); store(n.value, v)
            recordMap(n.query + "+key", maps.qk)
            recordMap(n.value, maps.v)
            tV = maps.v
        } else {
            switch options.qkFusion {
            case .separate:
                let q = try linear(n.query, w0: q0, b0: qb0, w1: q1, inMap: inMap, output: .solve, features: try actFeatures(n.query))
                let k = try linear(n.key, w0: k0, b0: kb0, w1: k1, inMap: inMap, output: .solve, features: try actFeatures(n.key))
                store(n.query, q); store(n.key, k)
                recordMap(n.query, q.map); recordMap(n.key, k.map)
            case .eqTMap:
                let features: Features
                if let activations, options.alignment == .activations {
                    let (ks, ka) = try activations.features(n.key), (qs, qa) = try activations.features(n.query)
                    features = Features(source: Dense.concatColumns([ks, qs]), anchor: Dense.concatColumns([ka, qa]))
                } else {
                    let input = inMap?.side(.input, scaling)
                    let k0a = input.map { Dense.timesMap(k0, $0) } ?? k0, q0a = input.map { Dense.timesMap(q0, $0) } ?? q0
                    features = Features(source: Dense.concatColumns([k0a, q0a]), anchor: Dense.concatColumns([k1, q1]))
                }
                let map = try solve(n.query + "+key", features, inRows: inMap?.rows, inCols: inMap?.cols)
                let q = try linear(n.query, w0: q0, b0: qb0, w1: q1, inMap: inMap, output: .forced(map))
                let k = try linear(n.key, w0: k0, b0: kb0, w1: k1, inMap: inMap, output: .forced(map))
                store(n.query, q); store(n.key, k)
                recordMap(n.query + "+key", map)
            case .joint:
                let w0 = Dense.concatRows([q0, k0]), w1 = Dense.concatRows([q1, k1])
                let b0: [Double]? = qb0.flatMap { q in kb0.map { q + $0 } }
                var features: Features?
                if let activations, options.alignment == .activations {
                    let (ks, ka) = try activations.features(n.key), (qs, qa) = try activations.features(n.query)
                    // The reference concatenates the activations K-first while the weights are Q-first.
                    features = options.compat == .reference
                        ? Features(source: Dense.concatRows([ks, qs]), anchor: Dense.concatRows([ka, qa]))
                        : Features(source: Dense.concatRows([qs, ks]), anchor: Dense.concatRows([qa, ka]))
                }
                let joint = try linear(n.query + "+key", w0: w0, b0: b0, w1: w1, inMap: inMap, output: .solve, features: features)
                let half = q1.rows
                store(n.query, (Dense.rows(joint.weight, 0, half), joint.bias.map { Array($0[0..<half]) }, nil))
                store(n.key, (Dense.rows(joint.weight, half, joint.weight.rows - half), joint.bias.map { Array($0[half...]) }, nil))
                recordMap(n.query + "+key", joint.map)
            }
            let v = try linear(n.value, w0: v0, b0: vb0, w1: v1, inMap: inMap, output: .solve, features: try actFeatures(n.value))
            store(n.value, v)
            recordMap(n.value, v.map)
            tV = v.map
        }
        let o0 = try source.matrix(n.output + ".weight"), o1 = try anchor.matrix(n.output + ".weight")
        let o = try linear(n.output, w0: o0, b0: try bias(n.output), w1: o1, inMap: tV, output: streamOutput,
                           features: try actFeatures(n.output))
        store(n.output, o)
        recordMap(n.output, o.map)
        return o.map
    }

    /// Records a layer's aligned weight and bias under `name.weight` / `name.bias`.
    func store(_ name: String, _ r: (weight: Matrix, bias: [Double]?, map: TransportMap?)) {
        record(name + ".weight", r.weight)
        if let b = r.bias { record(name + ".bias", b) }
    }

    /// The source's bias of layer `name`, when it has one and biases are fused.
    func bias(_ name: String) throws -> [Double]? {
        options.fuseBias && source.has(name + ".bias") ? try source.vector(name + ".bias") : nil
    }

    /// Activation features of module `name` in activation mode, `nil` in weight mode.
    func actFeatures(_ name: String) throws -> Features? {
        guard options.alignment == .activations, let activations else { return nil }
        let (s, a) = try activations.features(name)
        return Features(source: s, anchor: a)
    }

    // MARK: - Heads matched first

    /// `heads: within`: one head matching for Q/K and V/O (hard, over the summed transport
    /// costs of every head pair), then channel maps inside each matched pair, Q and K sharing
    /// one, V (and the output projection's input) another.
    func withinHeadMaps(_ n: AttentionNames, q0: Matrix, q1: Matrix, k0: Matrix, k1: Matrix, v0: Matrix, v1: Matrix,
                        inMap: TransportMap?, heads: Int) throws -> (qk: TransportMap, v: TransportMap) {
        let input = inMap?.side(.input, scaling)
        func alignIn(_ m: Matrix) -> Matrix { input.map { Dense.timesMap(m, $0) } ?? m }
        var qkF = Features(source: Dense.concatColumns([alignIn(q0), alignIn(k0)]), anchor: Dense.concatColumns([q1, k1]))
        var vF = Features(source: alignIn(v0), anchor: v1)
        if options.alignment == .activations, let activations {
            let (qs, qa) = try activations.features(n.query), (ks, ka) = try activations.features(n.key)
            qkF = Features(source: Dense.concatColumns([qs, ks]), anchor: Dense.concatColumns([qa, ka]))
            let (vs, va) = try activations.features(n.value)
            vF = Features(source: vs, anchor: va)
        }
        let metric = options.effectiveMetric
        let cQK: Matrix, cV: Matrix
        do {
            cQK = try metric.process(qkF.source, qkF.anchor)
            cV = try metric.process(vF.source, vF.anchor)
        } catch let error as TransportError {
            throw FusionError.transport(layer: n.query, reason: error.description)
        }
        let d0 = q0.rows / heads, d1 = q1.rows / heads
        func block(_ c: Matrix, _ a: Int, _ b: Int) -> Matrix {
            var m = Matrix(rows: d0, cols: d1)
            for i in 0..<d0 { for j in 0..<d1 { m[i, j] = c[a * d0 + i, b * d1 + j] } }
            return m
        }
        func ot(_ c: Matrix) throws -> TransportResult {
            do {
                return options.solver == .emd ? try EMD.solve(cost: c) : try Sinkhorn(reg: options.reg).solve(cost: c)
            } catch let error as TransportError {
                throw FusionError.transport(layer: n.query, reason: error.description)
            }
        }
        var plans: [[(qk: Matrix, v: Matrix)]] = []
        var headCost = Matrix(rows: heads, cols: heads)
        for a in 0..<heads {
            var row: [(qk: Matrix, v: Matrix)] = []
            for b in 0..<heads {
                let rq = try ot(block(cQK, a, b)), rv = try ot(block(cV, a, b))
                headCost[a, b] = rq.cost + rv.cost
                row.append((rq.plan, rv.plan))
            }
            plans.append(row)
        }
        let matching: TransportResult
        do { matching = try EMD.solve(cost: headCost) } catch let error as TransportError {
            throw FusionError.transport(layer: n.query + " (head matching)", reason: error.description)
        }
        var qk = Matrix(rows: q0.rows, cols: q1.rows), v = Matrix(rows: v0.rows, cols: v1.rows)
        for a in 0..<heads {
            for b in 0..<heads where matching.plan[a, b] > 0 {
                let weight = matching.plan[a, b] * Double(heads)   // 1 for a hard matching
                for i in 0..<d0 {
                    for j in 0..<d1 {
                        qk[a * d0 + i, b * d1 + j] += weight * plans[a][b].qk[i, j] * Double(d0)
                        v[a * d0 + i, b * d1 + j] += weight * plans[a][b].v[i, j] * Double(d0)
                    }
                }
            }
        }
        return (TransportMap(scaled: qk), TransportMap(scaled: v))
    }
}
