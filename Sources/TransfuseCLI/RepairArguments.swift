import ArgumentParser
import Foundation
import Fusion
import Inference

/// `fuse`'s options of the post-fusion statistics correction (``Repair``).
struct RepairArguments: ParsableArguments {
    @Option(help: ArgumentHelp(
        "After fusing, correct the fused model's activation statistics on these calibration inputs (HDF5, the format `eval` reads).",
        discussion: "REPAIR (Jordan et al. 2023) for Transformers: fused channels (by default the MLP hidden layers, the attention outputs and the residual stream before each LayerNorm; --repair-sites also offers the LayerNorm outputs) are rescaled and shifted so that their mean and standard deviation over the calibration inputs equal the weighted average of the parents' own statistics, mapped through the transport maps. The config key `repair: true` in the fusion: section does the same on --data's file (a mapping sets sites, mean_only, num_samples, max_stream_scale). On by default when --data is given (on its file): for ViT models at the default sites, for BERT at mlp,attention. --no-repair turns it off. Off otherwise.",
        valueName: "CALIB.h5"))
    var repair: String?

    @Option(name: .customLong("repair-sites"), help: "Sites the correction touches, comma-separated: mlp, attention, stream, norm (the stream supersedes attention at the attention join). Default: mlp,attention,stream.")
    var repairSites: String?

    @Flag(name: .customLong("repair-mean-only"), help: "Correct the channel means only, not the standard deviations.")
    var repairMeanOnly = false

    @Flag(name: .customLong("no-repair"), help: "No correction, even where the defaults (with --data) or the config ask for one.")
    var noRepair = false

    /// The correction's settings (the config's `repair:` key overridden by the flags) and its
    /// calibration file, or `nil` when no correction was asked for.
    /// - Throws: `ValidationError` for unknown sites, or a correction without calibration inputs.
    func settings(_ options: FusionOptions, data: String?) throws -> (options: RepairOptions, file: String)? {
        if noRepair {
            guard repair == nil, repairSites == nil, !repairMeanOnly else {
                throw ValidationError("--no-repair cannot be combined with --repair, --repair-sites or --repair-mean-only")
            }
            return nil
        }
        guard repair != nil || options.repair != nil else {
            if repairSites != nil || repairMeanOnly {
                throw ValidationError("--repair-sites and --repair-mean-only need --repair CALIB.h5 (or repair: true in the config)")
            }
            return nil
        }
        var settings = options.repair ?? RepairOptions()
        if let repairSites {
            guard let sites = RepairOptions.parseSites(repairSites) else {
                throw ValidationError("--repair-sites '\(repairSites)': expected a comma-separated list of mlp, attention, stream, norm")
            }
            settings.sites = sites
        }
        if repairMeanOnly { settings.matchSpread = false }
        guard let file = repair ?? data else {
            throw ValidationError("repair: true in the config needs calibration inputs: give --repair CALIB.h5 or --data FILE.h5")
        }
        return (settings, file)
    }

    /// Reads the calibration file and checks that every model can run it, before any fusion work
    /// (`check`: REPAIR's by default, ``Refit/check(_:calibration:)`` for the refit's file).
    func calibration(_ file: String, inputs: [FusionInput],
                     check: ([FusionInput], EvalDataset) throws -> Void = Repair.check) throws -> EvalDataset {
        let dataset = try EvalDataset.read(file)
        try check(inputs, dataset)
        return dataset
    }
}
