import Foundation

/// Settings of the post-fusion statistics correction (``Repair``, `fuse --repair CALIB.h5`,
/// the `repair:` key of a fuse config).
public struct RepairOptions: Sendable, Equatable {
    /// Where the fused model's channel statistics are corrected.
    public enum Site: String, Sendable, CaseIterable, Comparable {
        /// The MLP hidden channels: the pre-activation output of `intermediate.dense`
        /// (that layer's weight rows and bias are rescaled and shifted).
        case mlp
        /// The attention outputs: the output channels of `attention.output.dense`.
        case attention
        /// The residual stream before each LayerNorm, through the tensors that write into it
        /// (embeddings, `attention.output.dense`, `output.dense`). At the attention join it
        /// supersedes ``attention`` (both would rewrite `attention.output.dense`).
        case stream
        /// The outputs of the LayerNorms, exactly through their γ and β.
        case norm

        public static func < (a: Site, b: Site) -> Bool {
            allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
        }
    }

    /// The sites corrected. Default `mlp`, `attention` and `stream` (the stream supersedes the
    /// attention output at the attention join): measured on the sample digit ViTs it gave the
    /// best one-shot accuracy after Sinkhorn alignment (a+b: 69.3 % against 60.5 % without the
    /// stream and 15.1 % uncorrected); after exact EMD or activation alignment, and on the
    /// sample BERT pair, `mlp,attention` did better (Benchmarks/repair/README.md).
    public var sites: Set<Site> = [.mlp, .attention, .stream]
    /// Match the standard deviation as well as the mean (`false`: shift the means only).
    public var matchSpread = true
    /// Calibration inputs used for the statistics (the first ones of the file); `nil` takes
    /// the fusion's `acts.num_samples`.
    public var numSamples: Int? = nil
    /// Bound on the per-channel factor of a stream correction (`1/maxStreamScale …
    /// maxStreamScale`): the stream's spread can only be reached through the part a sublayer
    /// writes into it, which may need extreme factors when that part is small.
    public var maxStreamScale: Double = 4

    public init() {}

    /// `mlp,attention,stream` as written by `--repair-sites` and the `repair.sites` key.
    public static func parseSites(_ text: String) -> Set<Site>? {
        let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        var sites: Set<Site> = []
        for p in parts {
            guard let s = Site(rawValue: p) else { return nil }
            sites.insert(s)
        }
        return sites.isEmpty ? nil : sites
    }

    /// One line for `--help` and logs.
    public var summary: String {
        "sites \(sites.sorted().map(\.rawValue).joined(separator: ",")), \(matchSpread ? "mean and standard deviation" : "mean only")"
    }
}
