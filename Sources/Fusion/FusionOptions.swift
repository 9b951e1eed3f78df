import NamingSchemes
import Transport

/// Every setting of a fusion run. Defaults are Transfuse's (weights alignment, exact EMD,
/// `mean` residual policy, separate Q/K maps, cross-head maps, `auto` map scaling, class
/// token aligned by the stream map after the embeddings); `FusionOptions.reference` gives the
/// paper's example YAML under `compat: reference`.
public struct FusionOptions: Sendable, Equatable {
    /// `--method`: optimal transport or the plain (weighted) average.
    public enum Method: String, Sendable, CaseIterable { case ot, vanilla }
    /// `fusion.type`: `wts` aligns on weights, `acts` on activations.
    public enum Alignment: String, Sendable, CaseIterable { case weights, activations }
    /// `fusion.ot_solver`.
    public enum Solver: String, Sendable, CaseIterable {
        case emd, sinkhorn
        /// Sinkhorn only where the layer is wider than the incoming map, EMD elsewhere.
        case sinkhornForWidening = "sinkhorn_for_widening"
    }
    /// `fusion.resid_policy`: how the residual branch's map `T_r` and the sublayer's map `T_s`
    /// combine where the streams join.
    public enum ResidualPolicy: String, Sendable, CaseIterable {
        case noResid = "no_resid", onlyResid = "only_resid", mean
        case weightedScalar = "weighted_scalar", weightedMatrix = "weighted_matrix"
        case residAsIdentity = "resid_as_identity"
    }
    /// `fusion.qk_fusion`.
    public enum QKFusion: String, Sendable, CaseIterable { case separate, joint, eqTMap = "eq_t_map" }
    /// `heads`: maps over all channels at once, or heads matched first then channels within.
    public enum Heads: String, Sendable, CaseIterable { case cross, within }
    /// `transport_scaling`: `reference` multiplies the plan by the source width on both sides;
    /// `barycentric` normalises anchor columns (output side) and source rows (input side);
    /// `auto` is barycentric except on the output side of a map whose source is wider than the
    /// anchor, where it keeps the reference's sum (an anchor channel receives the full weight of
    /// the `n0/n1` source channels folded into it). For equal widths `auto` is `barycentric`.
    public enum Scaling: String, Sendable, CaseIterable { case auto, barycentric, reference }
    /// `cls_alignment`: the ViT class token's map.
    public enum ClassToken: String, Sendable, CaseIterable {
        /// Its own map from its (normalised, in weight mode) values, as the paper's code does.
        case reference
        /// The stream map after the embeddings.
        case stream
        /// Its own exact map on the raw values.
        case values
    }
    /// `stream_alignment`: how the residual stream's map is found.
    public enum StreamAlignment: String, Sendable, CaseIterable {
        /// The paper's: every sublayer that writes into the stream solves its own map and
        /// `resid_policy` combines them where the streams join, so the map changes per layer.
        case perLayer = "per_layer"
        /// One map for the whole residual stream (every layer reads and writes the same
        /// channels), solved from all stream-indexed features at once: in activation mode the
        /// stream's activations after the embeddings and after every layer; in weight mode
        /// every stream-indexed weight with its other axis aligned by the inner maps of the
        /// previous round (weight matching, `stream_rounds` rounds at most).
        case global
    }
    /// `compat`: `reference` reproduces the paper's code, quirks included.
    public enum Compat: String, Sendable, CaseIterable { case transfuse, reference }
    /// `acts.seq_filter` (only the class token, or all tokens).
    public enum SequenceFilter: String, Sendable, CaseIterable { case all, onlyCLS = "only_cls" }

    public var method: Method = .ot
    public var alignment: Alignment = .weights
    public var solver: Solver = .emd
    /// `fusion.sinkhorn_reg`.
    public var reg: Double = 0.08
    public var residualPolicy: ResidualPolicy = .mean
    public var qkFusion: QKFusion = .separate
    public var heads: Heads = .cross
    public var scaling: Scaling = .auto
    public var classToken: ClassToken = .stream
    public var compat: Compat = .transfuse
    /// `stream_alignment` (Transfuse key).
    public var streamAlignment: StreamAlignment = .perLayer
    /// `stream_rounds`: rounds of the weight-mode global stream search (`>= 1`).
    public var streamRounds = 3
    /// `fusion.fuse_src_embed`, `fuse_sa`, `fuse_norm`, `fuse_fc`, `fuse_bias`, `fuse_gen`:
    /// when off, that part is copied from the anchor (maps pass through unchanged).
    public var fuseEmbeddings = true
    public var fuseAttention = true
    public var fuseNorm = true
    public var fuseMLP = true
    public var fuseBias = true
    public var fuseHead = true
    /// `fusion.gnd_metric.*`; `wts.norm` sets its preprocessing in weight mode.
    public var metric = GroundMetric(preprocessing: .unitNorm)
    /// `fusion.wts.norm`: unit-norm rows of the weight features.
    public var normalizeWeights = true
    /// `fusion.acts.num_samples`, `std`, `center`, `norm`, `seq_filter`.
    public var numSamples = 200
    public var standardize = true
    public var center = true
    public var l2Normalize = true
    public var sequenceFilter: SequenceFilter = .all
    /// Per-model weights in model order (normalised to sum 1); `nil` = the anchor 1/2 and the
    /// others equal shares of 1/2 for OT fusion (uniform for two models), uniform for vanilla.
    public var modelWeights: [Double]? = nil
    /// Index of the anchor model.
    public var anchor = 0
    /// The `repair:` key: correct the fused model's statistics afterwards (``Repair``) on the
    /// calibration data (`--repair CALIB.h5`, or `--data`'s file); `nil` = no correction.
    public var repair: RepairOptions? = nil
    /// The `refit:` key: refit the fused model's linear layers by least squares afterwards
    /// (``Refit``, after ``Repair``) on the calibration data (`--refit CALIB.h5`, or `--data`'s
    /// file); `nil` = no refit.
    public var refit: RefitOptions? = nil

    public init() {}

    /// Transfuse's defaults for a model family, with or without calibration data (`--data` or
    /// `--repair`), chosen by measurement on the samples (README, "Measured on the samples"):
    /// - ViT without data: weights, exact EMD, per-layer stream maps (the generic defaults);
    /// - ViT with data: weights, Sinkhorn reg 0.05, then ``Repair`` and ``Refit`` on the data
    ///   (one-shot on the digit-ViT pairs a+b, a+c, b+c, a+b+c: 94.7% mean with the refit, 67.1%
    ///   with the correction alone, 33% for `compat: reference`);
    /// - BERT without data: weights, exact EMD, `stream_alignment: global` (masked-LM loss 5.74 on
    ///   the sample pair, vanilla 5.99, per-layer 5.95; REPAIR did not help there);
    /// - BERT with data: the paper's published setting — activations, Sinkhorn reg 0.08,
    ///   per-layer stream maps — then ``Repair`` of the MLP and attention outputs on the data
    ///   (5.68 against 5.95 uncorrected; on top of the global stream map the correction gained
    ///   nothing, 5.88). No refit: on the sample pair it made the loss worse (5.78).
    /// Weights + exact EMD keep the permutation property in every case.
    public static func defaults(for family: Architecture.Family, calibration: Bool) -> FusionOptions {
        var o = FusionOptions()
        switch family {
        case .vit:
            if calibration {
                o.solver = .sinkhorn
                o.reg = 0.05
                o.repair = RepairOptions()
                o.refit = RefitOptions()
            }
        case .bert:
            if calibration {
                o.alignment = .activations
                o.solver = .sinkhorn
                o.reg = 0.08
                var repair = RepairOptions()
                repair.sites = [.mlp, .attention]
                o.repair = repair
            } else {
                o.streamAlignment = .global
            }
        }
        return o
    }

    /// The paper's example experiment (weights variant) under `compat: reference`.
    public static var reference: FusionOptions {
        var o = FusionOptions()
        o.compat = .reference
        o.scaling = .reference
        o.classToken = .reference
        return o
    }

    /// The ground metric as used for weight features (with `wts.norm` preprocessing) or
    /// activation features (never preprocessed, as in the reference).
    var effectiveMetric: GroundMetric {
        var m = metric
        m.preprocessing = (alignment == .weights && normalizeWeights) ? .unitNorm : .none
        return m
    }

    /// One line per setting, for `--help` and logs.
    public static let defaultsDescription = """
        Defaults: --method ot, --alignment weights (fusion.type wts), --solver emd (sinkhorn_reg 0.08 when \
        --solver sinkhorn), resid_policy mean, qk_fusion separate, heads cross, transport_scaling auto, \
        cls_alignment stream, stream_alignment per_layer, compat transfuse, wts.norm true, gnd_metric euclidean / norm max / not squared / \
        no clip, acts.num_samples 200 with std (then center, norm), --weights: the anchor 1/2 and the others \
        equal shares (uniform for two models and for --method vanilla), --anchor 0; every fuse_* switch on. \
        Per family: ViT with calibration data (--data, --repair or --refit) uses --solver sinkhorn --reg 0.05, \
        repairs and then refits on that data; BERT uses stream_alignment global without data, and with data the paper's \
        setting (--alignment activations --solver sinkhorn --reg 0.08, per-layer stream maps) repaired \
        at mlp,attention. Flags and --config override these.
        """
}
