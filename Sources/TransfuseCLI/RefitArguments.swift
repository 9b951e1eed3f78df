import ArgumentParser
import Foundation
import Fusion
import Inference

/// `fuse`'s options of the least-squares refit of the fused model's linear layers (``Refit``).
struct RefitArguments: ParsableArguments {
    @Option(help: ArgumentHelp(
        "After fusing (and REPAIR), refit the fused model's linear layers by least squares on these calibration inputs (HDF5, the format `eval` reads).",
        discussion: "Layer by layer in forward order (query/key/value, attention output, both MLP layers, then the ViT classifier), each layer's weights and bias become the ridge solution that best maps the inputs it now receives in the fused model to the weighted average of the parents' own outputs of that layer, mapped through the fusion's transport maps. Embeddings and LayerNorms stay as fused. On by default for ViT models when --data is given (on its file); the config key `refit: true` (or a mapping: ridge, num_samples, classifier) asks for it too; --no-refit turns it off. On the sample digit ViT pair with --data it takes one-shot accuracy from 72.0% to 95.0% (96.5% with --refit-samples 300; parents 97.0 and 97.2%). Not on by default for BERT: on the sample MLM pair it made the loss worse. Every model runs layer by layer on the calibration inputs (each parent layer once, each fused layer five times) and each linear layer costs one (inputs + 1)² least-squares solve: about a second on the samples, 141 s for a ViT-B pair on 32 images; the time grows with the calibration tokens (--refit-samples bounds it).",
        valueName: "CALIB.h5"))
    var refit: String?

    @Option(name: .customLong("refit-ridge"), help: ArgumentHelp(
        "Ridge strength of the refit, relative to the mean diagonal of each layer's XᵀX (> 0). Default: 1e-3.",
        discussion: "The ridge pulls each layer towards its fused weights. The small default gives the best one-shot accuracy but weights several times the parents' norms; to finetune the fused model afterwards, a stronger ridge keeps them near the parents' scale: on the sample digit ViT pair 0.3 gives 90.4% one-shot (the default 96.5%, both with --refit-samples 300) but 97.2% after 660 finetuning steps (the default 96.0%; Samples/finetune/README.md)."))
    var refitRidge: Double?

    @Option(name: .customLong("refit-samples"), help: "Calibration inputs the refit uses (the first ones of the file). Default: acts.num_samples (200).")
    var refitSamples: Int?

    @Flag(name: .customLong("refit-keep-classifier"), help: "Refit the encoder layers only; keep the fused classifier.")
    var refitKeepClassifier = false

    @Flag(name: .customLong("no-refit"), help: "No refit, even where the defaults (ViT with --data) or the config ask for one.")
    var noRefit = false

    var tuned: Bool { refitRidge != nil || refitSamples != nil || refitKeepClassifier }

    /// The refit's settings (the config's or the defaults' `refit:` key overridden by the flags)
    /// and its calibration file, or `nil` when no refit was asked for.
    /// - Throws: `ValidationError` for refit settings without a refit, a ridge ≤ 0, no samples,
    ///   or a refit without calibration inputs.
    func settings(_ fusion: FusionOptions, data: String?) throws -> (options: RefitOptions, file: String)? {
        if noRefit {
            guard refit == nil, !tuned else {
                throw ValidationError("--no-refit cannot be combined with --refit, --refit-ridge, --refit-samples or --refit-keep-classifier")
            }
            return nil
        }
        guard refit != nil || fusion.refit != nil else {
            if tuned {
                throw ValidationError("--refit-ridge, --refit-samples and --refit-keep-classifier need --refit CALIB.h5 (or --data, or refit: true in the config)")
            }
            return nil
        }
        var options = fusion.refit ?? RefitOptions()
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
        if refitKeepClassifier { options.classifier = false }
        guard let file = refit ?? data else {
            throw ValidationError("refit: true in the config needs calibration inputs: give --refit CALIB.h5 or --data FILE.h5")
        }
        return (options, file)
    }
}
