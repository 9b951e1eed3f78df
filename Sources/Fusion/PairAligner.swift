import Foundation
import Transport
import WeightStore

/// Aligns one model (the source, "model 0" of the paper) onto the anchor along the transport
/// map flow graph, producing the source's tensors in the anchor's shapes and channel order.
/// It runs in stages (embeddings, each encoder layer, the head; `stageCount`), so that the
/// aligners of several models can advance together and ``Fuser`` can average and hand on each
/// stage's tensors before the next stage starts: memory holds a layer, not a model.
final class PairAligner {
    let source: ModelView
    let anchor: ModelView
    let options: FusionOptions
    let activations: ActivationPair?
    let progress: (String) -> Void
    /// Whether `maps` records the maps (they are large; only `--save-maps` / `--plot-maps` need them).
    let keepMaps: Bool

    /// Aligned source tensors of the stages run since the last `takeAligned()`, by canonical
    /// name (shape = the anchor's), kept in `Float` (the precision of the output).
    private var aligned: [String: [Float]] = [:]
    /// Every map computed, by its place in the flow graph, in order.
    private(set) var maps: [(name: String, map: TransportMap)] = []
    /// Seconds spent solving OT problems (cost matrices included).
    var transportSeconds = 0.0
    /// `stream_alignment: global`: the one map of the residual stream (set before stage 0).
    /// When set, the layers that write into the stream take it as their output map and every
    /// join returns it.
    var fixedStream: TransportMap?
    /// A pass of the global stream search (it must not start a search of its own).
    var isStreamSearch = false
    /// Closed around the matrix products on both cores (cost matrices, dense input maps;
    /// ``PhaseGate``), when the fuser writes meanwhile.
    var productGate: PhaseGate?

    /// `body` with ``productGate`` closed (when there is one).
    func inGate<T>(_ body: () throws -> T) rethrows -> T {
        guard let productGate else { return try body() }
        return try productGate.whileClosed(body)
    }

    // Carried from stage to stage.
    /// The residual stream's map after the last stage run.
    var stream: TransportMap?
    /// BERT: the embeddings' map (the MLM transform outputs in it).
    var embeddingMap: TransportMap?
    /// The module whose output feeds the residual branch of the next layer (activation names).
    var previous = "embeddings"

    init(source: ModelView, anchor: ModelView, options: FusionOptions, activations: ActivationPair?,
         keepMaps: Bool = false, progress: @escaping (String) -> Void) {
        self.keepMaps = keepMaps
        self.source = source
        self.anchor = anchor
        self.options = options
        self.activations = activations
        self.progress = progress
    }

    var scaling: FusionOptions.Scaling { options.scaling }

    /// The output side of a layer that writes into the residual stream.
    var streamOutput: Output { fixedStream.map { .forced($0) } ?? .solve }

    // MARK: - Stages

    /// Embeddings, each encoder layer, the head.
    var stageCount: Int { anchor.architecture.layers + 2 }

    /// A label for progress lines.
    func stageLabel(_ stage: Int) -> String {
        stage == 0 ? "embeddings" : stage <= anchor.architecture.layers ? "layer \(stage)/\(anchor.architecture.layers)" : "head"
    }

    /// Runs stage `stage` (in order, 0..<stageCount).
    func align(stage: Int) throws {
        if stage == 0, options.streamAlignment == .global, !isStreamSearch { try searchGlobalStream() }
        switch anchor.architecture.family {
        case .vit: try alignViT(stage: stage)
        case .bert: try alignBERT(stage: stage)
        }
    }

    /// The tensors aligned since the last call, handed over (and forgotten here).
    func takeAligned() -> [String: [Float]] {
        defer { aligned = [:] }
        return aligned
    }

    // MARK: - Recording

    func record(_ name: String, _ values: [Double]) { aligned[name] = values.narrowedToFloat() }
    func record(_ name: String, _ m: Matrix) { record(name, m.storage) }
    func recordMap(_ name: String, _ map: TransportMap?) { if keepMaps, let map { maps.append((name, map.uncached)) } }

    /// Copies the source tensor unaligned (shapes must be equal: checked by the fuser).
    func copySource(_ name: String) throws { record(name, try source.vector(name)) }

    // MARK: - Primitives

    /// What happens on the output side of a layer.
    enum Output {
        /// Solve OT between the out-neurons and align them (a new map).
        case solve
        /// The last layer: the output axis is fixed (classes, vocabulary); no new map.
        case fixed
        /// Align the output side with a given map (no new map), e.g. the MLM transform.
        case forced(TransportMap)
    }

    /// Features that override the aligned weight rows for the ground metric.
    struct Features {
        var source: Matrix
        var anchor: Matrix
        /// Metric to use instead of the configured one (class token `values`).
        var metric: GroundMetric? = nil
        /// Force the exact solver.
        var exact = false
    }

    /// One linear layer: `W0a = W0 · T_in`, then (`.solve`) `T = OT(C(W0a, W1))`,
    /// `W0b = Tᵀ · W0a`, `b0b = Tᵀ · b0`. `w0` is `out0 × in0`, `w1` `out1 × in1`,
    /// `inMap` `in0 × in1`.
    /// - Returns: the aligned weight (`out1 × in1`), bias (`out1`) and the new map (`out0 × out1`).
    func linear(_ label: String, w0: Matrix, b0: [Double]?, w1: Matrix, inMap: TransportMap?,
                output: Output, features: Features? = nil) throws -> (weight: Matrix, bias: [Double]?, map: TransportMap?) {
        var w0a = w0
        if let inMap {
            guard inMap.rows == w0.cols else {
                throw FusionError.tensorShape(model: source.label, tensor: label, expected: "\(inMap.rows) input channels",
                                              found: w0.shapeDescription)
            }
            let input = inMap.side(.input, scaling)
            w0a = inGate { Dense.timesMap(w0, input) }
        }
        guard w0a.cols == w1.cols else {
            throw FusionError.tensorShape(model: source.label, tensor: label, expected: "\(w1.cols) input features (the anchor's)",
                                          found: "\(w0a.cols) after alignment, \(w0.shapeDescription) stored")
        }
        switch output {
        case .fixed:
            guard w0a.rows == w1.rows else {
                throw FusionError.incompatibleModels("\(label): \(w0.rows) outputs in \(source.label), \(w1.rows) in the anchor \(anchor.label); the last layer's outputs must agree")
            }
            return (w0a, b0, nil)
        case let .forced(map):
            let out = map.side(.output, scaling)
            return (Dense.mapTransposedTimes(out, w0a), b0.map { Dense.rowTimes($0, out) }, nil)
        case .solve:
            let f = features ?? Features(source: w0a, anchor: w1)
            let map = try solve(label, f, inRows: inMap?.rows, inCols: inMap?.cols)
            let out = map.side(.output, scaling)
            return (Dense.mapTransposedTimes(out, w0a), b0.map { Dense.rowTimes($0, out) }, map)
        }
    }

    /// A LayerNorm (or any per-channel vector) aligned by the stream map: `v0 · T`.
    func channelVector(_ v0: [Double], map: TransportMap?) -> [Double] {
        guard let map else { return v0 }
        return Dense.rowTimes(v0, map.side(.output, scaling))
    }

    /// Cost matrix between feature rows, then the configured solver; the plan in reference scaling.
    func solve(_ label: String, _ f: Features, inRows: Int?, inCols: Int?) throws -> TransportMap {
        let start = Date()
        defer { transportSeconds += Date().timeIntervalSince(start) }
        do {
            let metric = f.metric ?? options.effectiveMetric
            let cost = try inGate { try metric.process(f.source, f.anchor) }
            var useSinkhorn: Bool
            switch options.solver {
            case .emd: useSinkhorn = false
            case .sinkhorn: useSinkhorn = true
            case .sinkhornForWidening:
                if let inRows, let inCols { useSinkhorn = cost.rows > inRows || cost.cols > inCols } else { useSinkhorn = false }
            }
            if f.exact { useSinkhorn = false }
            let result = useSinkhorn ? try Sinkhorn(reg: options.reg).solve(cost: cost) : try EMD.solve(cost: cost, costIsChecked: true)
            if let warning = result.warning { progress("  warning (\(label)): \(warning)") }
            return TransportMap(result: result)
        } catch let error as TransportError {
            throw FusionError.transport(layer: label, reason: error.description)
        }
    }

    /// `resid_policy(T_r, T_s)`; the weighted policies read the anchor's activations of the
    /// residual branch (`residual`) and of the sublayer (`sublayer`), samples × channels.
    func join(residual: TransportMap?, sublayer: TransportMap?, residualActs: Matrix?, sublayerActs: Matrix?,
              at label: String) throws -> TransportMap? {
        if let fixedStream { return fixedStream }
        guard let r = residual, let s = sublayer else { return sublayer ?? residual }
        switch options.residualPolicy {
        case .noResid: return s
        case .onlyResid: return r
        case .mean: return TransportMap.combine([(0.5, r), (0.5, s)])
        case .residAsIdentity: return TransportMap.identity(rows: r.rows, cols: r.cols)
        case .weightedScalar, .weightedMatrix:
            guard let ra = residualActs, let sa = sublayerActs else {
                throw FusionError.activations("resid_policy \(options.residualPolicy.rawValue) at \(label) weighs the maps by the anchor's activations: give --data or --activations")
            }
            let rAbs = columnAbsMeans(ra), sAbs = columnAbsMeans(sa)
            if options.residualPolicy == .weightedScalar {
                let rm = rAbs.reduce(0, +) / Double(max(rAbs.count, 1)), sm = sAbs.reduce(0, +) / Double(max(sAbs.count, 1))
                return TransportMap.combine([(rm / (rm + sm), r), (sm / (rm + sm), s)])
            }
            let total = zip(rAbs, sAbs).map { $0 + $1 }
            return TransportMap.combineColumns(r, zip(rAbs, total).map { $0 / $1 }, s, zip(sAbs, total).map { $0 / $1 })
        }
    }

    private func columnAbsMeans(_ m: Matrix) -> [Double] {
        var s = [Double](repeating: 0, count: m.cols)
        for i in 0..<m.rows { for j in 0..<m.cols { s[j] += abs(m[i, j]) } }
        return s.map { $0 / Double(max(m.rows, 1)) }
    }
}
