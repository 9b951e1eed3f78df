@testable import Fusion
import Testing
import Transport

@Suite("Experiment YAML")
struct ConfigTests {
    /// The `fusion:` section of the paper's example experiment, as its files spell it.
    static let paperStyle = """
        model:
          name_0: models/a
          name_1: models/b
          type: hf_vit
        fusion:
          num_models: 2
          type: acts
          resid_policy: mean
          fuse_src_embed: True
          fuse_sa: True
          qk_fusion: separate
          fuse_norm: True
          fuse_fc: True
          fuse_bias: True
          fuse_gen: True
          ot_solver: sinkhorn
          sinkhorn_reg: 0.08
          gnd_metric:
            type: euclidean
            norm: max
            reg: 0.01
            mem_eff: True
            squared: False
            clip: False
            clip_min: 5.0
            clip_max: 0.0
          acts:
            num_samples: 200
            seq_pos: -1
            seq_filter: window_6
            avg_seq_items: False
            loss_thres: False
            mode: raw
            pre_relu: True
            seed: 0
            std: True
            center: True
            norm: True
          wts:
            norm: True
        regression:
          only_eval_ot: False
        """

    @Test("the paper's YAML is read unchanged; other sections are ignored")
    func paperFile() throws {
        var o = FusionOptions()
        let warnings = try o.apply(yaml: Self.paperStyle, file: "exp.yaml")
        #expect(o.alignment == .activations && o.solver == .sinkhorn && o.reg == 0.08)
        #expect(o.residualPolicy == .mean && o.qkFusion == .separate && o.numSamples == 200)
        #expect(o.metric.clipMin == 5 && o.metric.clipMax == 0 && o.metric.type == .euclidean && o.metric.norm == .max)
        #expect(o.compat == .transfuse)
        #expect(warnings.count == 1 && warnings[0].contains("window_6"))
    }

    @Test("non-default unimplemented keys are named in warnings")
    func unimplemented() throws {
        var o = FusionOptions()
        let warnings = try o.apply(yaml: "fusion:\n  pca: True\n  acts:\n    loss_thres: 0.5\n", file: "x.yaml")
        #expect(warnings.count == 2)
        #expect(warnings.contains { $0.contains("fusion.pca") } && warnings.contains { $0.contains("fusion.acts.loss_thres") })
    }

    @Test("a key of no schema is an error naming the file and the key")
    func typo() throws {
        var o = FusionOptions()
        #expect(throws: FusionError.self) { _ = try o.apply(yaml: "fusion:\n  resid_polcy: mean\n", file: "x.yaml") }
        do { _ = try o.apply(yaml: "fusion:\n  gnd_metric:\n    nrom: max\n", file: "x.yaml") } catch {
            #expect("\(error)".contains("x.yaml") && "\(error)".contains("fusion.gnd_metric.nrom"))
        }
        #expect(throws: FusionError.self) { _ = try o.apply(yaml: "fusion:\n  ot_solver: hungarian\n", file: "x.yaml") }
    }

    @Test("Transfuse keys; compat: reference sets the reference's scaling and class-token map")
    func transfuseKeys() throws {
        var o = FusionOptions()
        _ = try o.apply(yaml: "fusion:\n  compat: reference\n  heads: within\n", file: "x.yaml")
        #expect(o.compat == .reference && o.scaling == .reference && o.classToken == .reference && o.heads == .within)
        var p = FusionOptions()
        _ = try p.apply(yaml: "fusion:\n  compat: reference\n  transport_scaling: barycentric\n  cls_alignment: stream\n", file: "x.yaml")
        #expect(p.scaling == .barycentric && p.classToken == .stream)
    }

    @Test("stream_alignment and stream_rounds; bad values name the key")
    func streamKeys() throws {
        var o = FusionOptions()
        _ = try o.apply(yaml: "fusion:\n  stream_alignment: global\n  stream_rounds: 5\n", file: "x.yaml")
        #expect(o.streamAlignment == .global && o.streamRounds == 5)
        for bad in ["stream_alignment: everywhere", "stream_rounds: 0", "stream_rounds: 2.5"] {
            do { _ = try o.apply(yaml: "fusion:\n  \(bad)\n", file: "x.yaml"); Issue.record("\(bad) accepted") } catch {
                #expect("\(error)".contains("x.yaml") && "\(error)".contains("fusion.stream_"), "\(error)")
            }
        }
    }

    @Test("a config applies over the family defaults, or over the plain options under compat: reference")
    func resolvingOverDefaults() throws {
        let defaults = FusionOptions.defaults(for: .vit, calibration: true)
        let transfuse = try FusionOptions.resolving(over: defaults) { try $0.apply(yaml: "fusion:\n  qk_fusion: joint\n", file: "x.yaml") }
        var expected = defaults
        expected.qkFusion = .joint
        #expect(transfuse.options == expected)
        let reference = try FusionOptions.resolving(over: defaults) { try $0.apply(yaml: "fusion:\n  compat: reference\n", file: "x.yaml") }
        #expect(reference.options == .reference)
    }
}
