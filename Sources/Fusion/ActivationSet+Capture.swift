import Inference
import NamingSchemes
import Transport

extension ActivationSet {
    /// Runs `model` on the first `options.numSamples` samples of `dataset` and keeps every
    /// captured module, normalised per neuron as `acts.std` / `acts.center` / `acts.norm` say
    /// (the first that is set wins).
    /// - Throws: `InferenceError` when the model cannot run the dataset.
    public static func capture(_ model: CanonicalModel, label: String, dataset: EvalDataset, options: FusionOptions,
                               progress: ((String) -> Void)? = nil) throws -> ActivationSet {
        let runnable = try TransformerModel(store: model.store, source: label, heads: model.architecture.heads)
        let normalization: ActivationNormalization = options.standardize ? .standardize
            : options.center ? .center : options.l2Normalize ? .l2 : .none
        let capture = ActivationOptions(numSamples: options.numSamples,
                                        sequenceFilter: options.sequenceFilter == .onlyCLS ? .onlyClassToken : .all,
                                        normalization: normalization)
        var modules: [String: Matrix] = [:]
        try ActivationCapture.capture(model: runnable, dataset: dataset, source: label, options: capture, progress: progress) { m in
            modules[m.name] = try Matrix(rows: m.rows, cols: m.width, values: m.values.map(Double.init))
        }
        return ActivationSet(modules: modules)
    }
}

extension ActivationSet {
    /// Reads an activations file written by `transfuse activations` (Schemas/ACTIVATIONS.md);
    /// its matrices are used as stored (already normalised when it was written).
    /// - Throws: `InferenceError` for files that are not activation files.
    public static func read(_ path: String) throws -> ActivationSet {
        let (_, matrices) = try ActivationFile.read(path)
        var modules: [String: Matrix] = [:]
        for m in matrices {
            modules[m.name] = try Matrix(rows: m.rows, cols: m.width, values: m.values.map(Double.init))
        }
        return ActivationSet(modules: modules)
    }
}
