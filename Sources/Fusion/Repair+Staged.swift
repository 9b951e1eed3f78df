import Inference
import NamingSchemes
import WeightStore

extension Repair {
    /// Measures the fused model's sites in forward order, each on the store as corrected so far,
    /// running the model layer by layer (``StagedForward``): the stream entering a layer is kept,
    /// so measuring a site of layer `l` runs layer `l` only, not layers `0…l` again. Cost: one
    /// pass of a layer per site plus one to move past it, instead of a pass through every layer
    /// before it (quadratic in depth).
    ///
    /// Valid because corrections only ever touch the site being corrected and sites come in
    /// forward order: a correction of layer `l` leaves the stream entering layer `l` as it was.
    /// An embeddings-level correction changes that stream, so the pass starts again after one.
    struct StagedMeasurement {
        let architecture: Architecture
        let calibration: EvalDataset
        let samples: Int
        private var pass: StagedForward?

        init(architecture: Architecture, calibration: EvalDataset, samples: Int) {
            self.architecture = architecture
            self.calibration = calibration
            self.samples = samples
        }

        /// The moments of `site` in `store` (the fused model with every earlier site corrected).
        /// - Throws: ``FusionError/repair(_:)`` when the model cannot run the calibration file or
        ///   records no such site.
        mutating func moments(of site: RepairSite, in store: WeightStore) throws -> SiteMoments {
            let label = "the fused model", family = architecture.family
            if family == .bert, site.name == "embeddings" {
                pass = nil
                return try bertEmbeddingMoments(store, label: label, calibration: calibration, numSamples: samples)
            }
            var collector = SiteCollector(wanted: [site.name], family: family, layers: architecture.layers,
                                          norms: try normParameters(store, wanted: [site.name], family: family, label: label),
                                          eps: architecture.layerNormEps)
            do {
                let model = try TransformerModel(store: try truncate(store, depth: nil), source: label, heads: architecture.heads)
                if site.name == "embeddings" || site.name == "embeddings.LayerNorm" {
                    let embedded = try StagedForward(model: model, dataset: calibration, numSamples: samples, source: label)
                    try collector.receive(embedded.stream, label: label)
                    pass = nil   // the correction changes the embeddings
                } else {
                    var current = try pass ?? StagedForward(model: model, dataset: calibration, numSamples: samples, source: label)
                    while current.layersDone < site.depth - 1 {
                        _ = try current.layer(of: model, linearInputs: false, advance: true)
                    }
                    try collector.receive(current.stream, label: label)
                    for matrix in try current.layer(of: model, linearInputs: false, advance: false) {
                        try collector.receive(matrix, label: label)
                    }
                    pass = current
                }
            } catch let error as InferenceError {
                throw FusionError.repair("cannot measure the activation statistics of \(label) on the calibration file \(calibration.path): \(error.description)")
            }
            guard let moments = collector.moments[site.name] else {
                throw FusionError.repair("\(label): the forward pass gave no statistics of \(site.name)")
            }
            return moments
        }
    }
}
