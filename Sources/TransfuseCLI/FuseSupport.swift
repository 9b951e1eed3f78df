import Fusion
import Inference
import WeightStore

/// What `fuse` and `sweep` share, so that a sweep row is exactly what `fuse --eval` reports
/// for the same settings.
enum FuseSupport {
    /// Whether a fusion with `options` reads activations: activation alignment, or the residual
    /// policies weighted by the anchor's activations. Activations are given to the fuser only then.
    static func needsActivations(_ options: FusionOptions) -> Bool {
        options.method == .ot && (options.alignment == .activations
            || options.residualPolicy == .weightedScalar || options.residualPolicy == .weightedMatrix)
    }

    /// Evaluates a canonical `store` (a parent, the vanilla average or a fused model) on `dataset`
    /// with the default batch size, as `fuse --eval` does.
    static func evaluate(_ store: WeightStore, label: String, role: String, dataset: EvalDataset,
                         heads: Int?) throws -> EvalReport.Model {
        let model = try TransformerModel(store: store, source: label, heads: heads)
        return EvalReport.Model(path: label, evaluation: try model.evaluate(dataset, source: label), role: role)
    }
}
