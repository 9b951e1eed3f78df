import Foundation
import NamingSchemes
import Transport
import WeightStore

/// What a streamed fusion computed besides the tensors.
public struct FusionSummary: Sendable {
    /// Every transport map (with `keepMaps`), named `model<k>/<place in the flow graph>`.
    public var maps: [(name: String, map: TransportMap)]
    /// Seconds spent on ground metrics and OT.
    public var transportSeconds: Double
    /// Seconds spent in `emit` (writing, when it writes).
    public var emitSeconds: Double
    /// Non-fatal notes.
    public var warnings: [String]

    public init(maps: [(name: String, map: TransportMap)], transportSeconds: Double, emitSeconds: Double, warnings: [String]) {
        self.maps = maps
        self.transportSeconds = transportSeconds
        self.emitSeconds = emitSeconds
        self.warnings = warnings
    }
}

extension Fuser {
    /// Fuses `inputs` as ``fuse(_:options:keepMaps:progress:)`` does, but hands each fused
    /// tensor to `emit` as soon as it is final instead of collecting the store, so that a
    /// caller writing the result never holds the whole model.
    ///
    /// `emit` receives every tensor of the anchor's canonical store exactly once, with the
    /// anchor's name, dtype and shape, in flow-graph order (not the store's): the non-anchor
    /// models' aligners advance together stage by stage (embeddings, each encoder layer, the
    /// head), and after each stage the tensors every model has aligned are averaged and
    /// emitted; at the end the tensors outside the flow graph follow (the anchor's own,
    /// unread). A tied copy (the MLM decoder and its bias) is emitted right after its original,
    /// as the original renamed. The values are exactly those of `fuse`.
    /// - Throws: as `fuse`, all checks before any alignment work (and so before any `emit`);
    ///   whatever `emit` throws.
    public static func stream(_ inputs: [FusionInput], options: FusionOptions, keepMaps: Bool = false,
                              progress: @escaping (String) -> Void = { _ in },
                              emit: (Tensor) throws -> Void) throws -> FusionSummary {
        try withoutActuallyEscaping(emit) { emit in
            try streamStages(inputs, options: options, keepMaps: keepMaps, progress: progress, emit: emit)
        }
    }

    private static func streamStages(_ inputs: [FusionInput], options: FusionOptions, keepMaps: Bool,
                                     progress: @escaping (String) -> Void,
                                     emit: @escaping (Tensor) throws -> Void) throws -> FusionSummary {
        let weights = try check(inputs, options: options)
        let anchorIndex = options.anchor
        let anchor = ModelView(label: inputs[anchorIndex].label, model: inputs[anchorIndex].model)
        var emitSeconds = 0.0
        var combiner = FusionCombiner(anchor: anchor, models: inputs.indices.filter { $0 != anchorIndex }, weights: weights,
                                      options: options) { tensor in
            let start = Date()
            defer { emitSeconds += Date().timeIntervalSince(start) }
            try emit(tensor)
        }
        if options.method == .vanilla {
            try combiner.vanilla(inputs)
            return FusionSummary(maps: [], transportSeconds: 0, emitSeconds: emitSeconds, warnings: [])
        }
        var warnings: [String] = []
        if options.compat == .reference, options.modelWeights != nil {
            warnings.append("compat: reference weighs the models as the reference code does (1/N outside the encoder layers, anchor 0.5 inside); --weights is ignored")
        }
        var aligners: [(k: Int, aligner: PairAligner)] = []
        for k in inputs.indices where k != anchorIndex {
            let pair: ActivationPair?
            if options.alignment == .activations {
                guard let s = inputs[k].activations, let a = inputs[anchorIndex].activations else {
                    throw FusionError.activations("activation alignment needs activations for every model: give --data FILE.h5 or --activations (one file per model)")
                }
                pair = ActivationPair(source: s, anchor: a, sourceLabel: inputs[k].label, anchorLabel: anchor.label)
            } else {
                pair = inputs[k].activations.flatMap { s in inputs[anchorIndex].activations.map {
                    ActivationPair(source: s, anchor: $0, sourceLabel: inputs[k].label, anchorLabel: anchor.label) } }
            }
            aligners.append((k, PairAligner(source: ModelView(label: inputs[k].label, model: inputs[k].model), anchor: anchor,
                                            options: options, activations: pair, keepMaps: keepMaps, progress: progress)))
        }
        let names = aligners.map { "model \($0.k) (\(inputs[$0.k].label))" }.joined(separator: ", ")
        progress("aligning \(names) to the anchor (model \(anchorIndex))")
        // Stage s is averaged and emitted in the background while stage s + 1 is aligned, outside
        // its cost matrices' products.
        let gate = PhaseGate()
        combiner.gate = gate
        for (_, aligner) in aligners { aligner.productGate = gate }
        let pipeline = StagePipeline(combiner)
        defer { pipeline.finish() }
        let stages = aligners.first?.aligner.stageCount ?? 0
        for stage in 0..<stages {
            if let first = aligners.first?.aligner, stage <= anchor.architecture.layers { progress("  " + first.stageLabel(stage)) }
            var aligned: [(k: Int, tensors: [String: [Float]])] = []
            for (k, aligner) in aligners {
                try aligner.align(stage: stage)
                aligned.append((k, aligner.takeAligned()))
            }
            try pipeline.submit { combiner in
                for (k, tensors) in aligned { combiner.add(model: k, tensors) }
                try combiner.flush()
            }
        }
        try pipeline.submit { try $0.finish() }
        try pipeline.drain()
        var maps: [(name: String, map: TransportMap)] = []
        for (k, aligner) in aligners { maps += aligner.maps.map { ("model\(k)/\($0.name)", $0.map) } }
        return FusionSummary(maps: maps, transportSeconds: aligners.reduce(0) { $0 + $1.aligner.transportSeconds },
                             emitSeconds: emitSeconds, warnings: warnings)
    }
}

/// Runs the averaging and emitting of finished stages on a ``BackgroundWorker`` (its own
/// low-priority thread), in order, while the caller aligns the next stage. At most one stage
/// waits: `submit` blocks until the previous stage's work is done, so memory holds at most two
/// stages. The first error stops later work and is rethrown by the next `submit` or `drain`.
private final class StagePipeline: @unchecked Sendable {
    private var combiner: FusionCombiner
    private let worker = BackgroundWorker(name: "transfuse.fusion.combine")
    private let lock = NSLock()
    private var failure: Error?

    init(_ combiner: FusionCombiner) { self.combiner = combiner }

    /// Runs `work` on the combiner after every earlier submission.
    func submit(_ work: @escaping (inout FusionCombiner) throws -> Void) throws {
        try rethrowFailure()
        worker.waitUntilIdle()
        let job = UncheckedSendable(work)
        worker.submit { [self] in
            guard lock.withLock({ failure == nil }) else { return }
            do { try job.value(&combiner) } catch { lock.withLock { failure = error } }
        }
    }

    /// Waits for every submission; rethrows the first failure.
    func drain() throws {
        waitUntilIdle()
        try rethrowFailure()
    }

    /// Waits for every submission and ends the worker's thread (also on error paths: nothing
    /// may run after `stream` returns).
    func finish() { worker.stop() }

    /// Waits for every submission.
    func waitUntilIdle() { worker.waitUntilIdle() }

    private func rethrowFailure() throws {
        if let failure = lock.withLock({ failure }) { throw failure }
    }
}

/// A value handed to another thread by code that guarantees exclusive access.
private struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
