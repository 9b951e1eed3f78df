import ArgumentParser
import Checkpoints
import Foundation
import Fusion
import Inference
import NamingSchemes
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

    /// `--weights`: numbers separated by commas (normalised later by the fuser), or `nil`.
    /// - Throws: `ValidationError` for an empty list or a part that is not a number.
    static func parseWeights(_ text: String?) throws -> [Double]? {
        guard let text else { return nil }
        let parts = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else {
            throw ValidationError("--weights: expected numbers separated by commas, got '\(text)'")
        }
        return parts.map { $0! }
    }

    /// Reads every model and converts it to the canonical layout, labelled by its path.
    static func readInputs(_ paths: [String], heads: Int?, registry: SchemeRegistry) throws -> [FusionInput] {
        try paths.map { path in
            FusionInput(label: path, model: try SchemeConverter.toCanonical(try Checkpoint.read(path), heads: heads, registry: registry))
        }
    }

    /// Evaluates a canonical `store` (a parent, the vanilla average or a fused model) on `dataset`
    /// with the default batch size, as `fuse --eval` does.
    static func evaluate(_ store: WeightStore, label: String, role: String, dataset: EvalDataset,
                         heads: Int?) throws -> EvalReport.Model {
        let model = try TransformerModel(store: store, source: label, heads: heads)
        return EvalReport.Model(path: label, evaluation: try model.evaluate(dataset, source: label), role: role)
    }
}
