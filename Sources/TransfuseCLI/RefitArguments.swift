import ArgumentParser
import Foundation
import Fusion
import Inference

/// `fuse`'s options of the least-squares refit of the fused model's linear layers (``Refit``).
struct RefitArguments: ParsableArguments {
    @Option(help: ArgumentHelp(
        "After fusing (and REPAIR), refit the fused model's linear layers by least squares on these calibration inputs (HDF5, the format `eval` reads).",
        discussion: "Layer by layer in forward order (query/key/value, attention output, both MLP layers, then the ViT classifier), each layer's weights and bias become the ridge solution that best maps the inputs it now receives in the fused model to the weighted average of the parents' own outputs of that layer, mapped through the fusion's transport maps. Embeddings and LayerNorms stay as fused. On the sample digit ViT pair with --data it takes one-shot accuracy from 72% to 96.5% (parents 97.0 and 97.2%). Costs one pass of each parent and four of the fused model per encoder layer.",
        valueName: "CALIB.h5"))
    var refit: String?

    @Option(name: .customLong("refit-ridge"), help: "Ridge strength of the refit, relative to the mean diagonal of each layer's XᵀX (> 0). Default: 1e-3.")
    var refitRidge: Double?

    @Option(name: .customLong("refit-samples"), help: "Calibration inputs the refit uses (the first ones of the file). Default: acts.num_samples (200).")
    var refitSamples: Int?

    @Flag(name: .customLong("refit-keep-classifier"), help: "Refit the encoder layers only; keep the fused classifier.")
    var refitKeepClassifier = false

    /// The refit's settings and calibration file, or `nil` when no refit was asked for.
    /// - Throws: `ValidationError` for refit settings without `--refit`, a ridge ≤ 0 or no samples.
    func settings() throws -> (options: RefitOptions, file: String)? {
        guard let refit else {
            if refitRidge != nil || refitSamples != nil || refitKeepClassifier {
                throw ValidationError("--refit-ridge, --refit-samples and --refit-keep-classifier need --refit CALIB.h5")
            }
            return nil
        }
        var options = RefitOptions()
        if let refitRidge {
            guard refitRidge > 0, refitRidge.isFinite else {
                throw ValidationError("--refit-ridge \(refitRidge): expected a finite number > 0 (e.g. 1e-3)")
            }
            options.ridge = refitRidge
        }
        if let refitSamples {
            guard refitSamples > 0 else { throw ValidationError("--refit-samples \(refitSamples): expected a positive count") }
            options.numSamples = refitSamples
        }
        options.classifier = !refitKeepClassifier
        return (options, refit)
    }
}
