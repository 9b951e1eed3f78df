import ArgumentParser
import Fusion
import Testing
@testable import TransfuseCLI

/// The grid files of `transfuse sweep`: structure, expansion into settings, and refusals that
/// name the key.
@Suite struct SweepGridTests {
    let models = ["a", "b", "c"]

    func expand(_ yaml: String) throws -> [SweepSetting] {
        try SweepGrid(yaml: yaml, source: "grid.yaml").settings(modelLabels: models, weights: nil).settings
    }

    func message(_ yaml: String) -> String {
        do {
            _ = try expand(yaml)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test func defaultGridIsAnAblationFromTheDefaults() throws {
        let grid = try SweepGrid.standard()
        let plan = try grid.settings(modelLabels: models, weights: nil)
        let labels = plan.settings.map(\.label)
        // 3 parents, vanilla, default; 2 × 5 alignment × solver minus the default; qk 2, resid 5,
        // heads 1, anchor 2 (each model but the default 0), stream_alignment 1, compat 1, repair 1, refit 1.
        #expect(labels.prefix(5) == ["a", "b", "c", "vanilla", "default"])
        #expect(plan.settings.count == 5 + 9 + 2 + 5 + 1 + 2 + 1 + 1 + 1 + 1)
        #expect(plan.settings[4].options == FusionOptions())
        #expect(Set(plan.duplicates.map(\.label)) == ["type=wts ot_solver=emd", "qk_fusion=separate", "resid_policy=mean",
                                                     "heads=cross", "anchor=0", "stream_alignment=per_layer", "repair=false",
                                                     "refit=false"])
        #expect(plan.settings.first { $0.label == "repair=true" }?.options.repair == RepairOptions())
        #expect(plan.settings.last?.label == "refit=true" && plan.settings.last?.options.refit == RefitOptions())
        let sinkhorn = try #require(plan.settings.first { $0.label == "type=acts ot_solver=sinkhorn sinkhorn_reg=0.05" })
        #expect(sinkhorn.options.alignment == .activations && sinkhorn.options.solver == .sinkhorn && sinkhorn.options.reg == 0.05)
        #expect(plan.settings.first { $0.label == "anchor=2" }?.options.anchor == 2)
        #expect(plan.settings.first { $0.label == "compat=reference" }?.options == FusionOptions.reference)
        #expect(plan.settings[3].options.method == .vanilla)
    }

    /// Settings start from the given defaults (Transfuse's per family and data), except under
    /// `compat: reference`, which starts from the plain options as `fuse --config` does.
    @Test func settingsStartFromTheDefaults() throws {
        var defaults = FusionOptions()
        defaults.solver = .sinkhorn
        defaults.reg = 0.05
        defaults.repair = RepairOptions()
        let grid = try SweepGrid(yaml: "vary:\n  repair: [false]\n  compat: [reference]\n", source: "grid.yaml")
        let settings = try grid.settings(modelLabels: models, weights: nil, defaults: defaults).settings
        #expect(settings.map(\.label) == ["a", "b", "c", "vanilla", "default", "repair=false", "compat=reference"])
        #expect(settings[4].options == defaults)
        #expect(settings[3].options.method == .vanilla && settings[3].options.repair == nil, "vanilla is the plain average")
        #expect(settings[5].options.repair == nil && settings[5].options.solver == .sinkhorn && settings[5].options.reg == 0.05)
        #expect(settings[6].options == FusionOptions.reference)
    }

    @Test func baseVaryAndProduct() throws {
        let settings = try expand("""
            baselines: false
            base:
              type: acts
              acts: {num_samples: 50}
              anchor: 1
            product:
              ot_solver: [emd, sinkhorn]
              qk_fusion: [joint, eq_t_map]
            vary:
              gnd_metric.squared: [true]
              acts.num_samples: [20]
              pair:
                - {resid_policy: no_resid, heads: within}
            """)
        #expect(settings.map(\.label) == ["base", "ot_solver=emd qk_fusion=joint", "ot_solver=emd qk_fusion=eq_t_map",
                                          "ot_solver=sinkhorn qk_fusion=joint", "ot_solver=sinkhorn qk_fusion=eq_t_map",
                                          "gnd_metric.squared=true", "acts.num_samples=20", "resid_policy=no_resid heads=within"])
        #expect(settings.allSatisfy { $0.kind == .fused && $0.options.anchor == 1 && $0.options.alignment == .activations })
        #expect(settings[0].options.numSamples == 50)
        #expect(settings[3].options.solver == .sinkhorn && settings[3].options.qkFusion == .joint)
        #expect(settings[5].options.metric.squared && settings[5].options.numSamples == 50, "a dotted key merges into the base's section")
        #expect(settings[6].options.numSamples == 20)
        #expect(settings[7].options.residualPolicy == .noResid && settings[7].options.heads == .within)
    }

    @Test(arguments: [
        ("varry:\n  qk_fusion: [joint]\n", "varry"),
        ("vary:\n  resid_polcy: [mean]\n", "resid_polcy"),
        ("base:\n  ot_solvr: emd\n", "ot_solvr"),
        ("vary:\n  pair:\n    - {ot_solver: sinkhorn, sinkhorn_rge: 0.1}\n", "sinkhorn_rge"),
    ])
    func unknownKeysAreNamed(yaml: String, key: String) {
        let text = message(yaml)
        #expect(text.contains("grid.yaml") && text.contains(key) && text.contains("unknown key"), "\(text)")
    }

    @Test(arguments: [
        ("vary:\n  ot_solver: [emd, emdd]\n", ["vary.ot_solver", "emdd"]),
        ("product:\n  sinkhorn_reg: [0.1, -1]\n", ["product.sinkhorn_reg", "> 0"]),
        ("vary:\n  anchor: [0, 3]\n", ["vary.anchor", "out of range"]),
        ("vary:\n  anchor: first\n", ["vary.anchor", "list"]),
        ("vary:\n  qk_fusion: joint\n", ["vary.qk_fusion", "list"]),
        ("base:\n  heads: all\n", ["base", "heads", "'all'"]),
        ("baselines: maybe\n", ["baselines", "maybe"]),
        ("vary: [1, 2]\n", ["vary", "mapping"]),
    ])
    func badValuesAreNamed(yaml: String, expected: [String]) {
        let text = message(yaml)
        #expect(expected.allSatisfy(text.contains), "\(text)")
    }

    @Test func emptyGridRunsTheBaselinesAndTheDefault() throws {
        #expect(try expand("").map(\.label) == ["a", "b", "c", "vanilla", "default"])
    }
}
