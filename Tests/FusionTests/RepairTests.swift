import Foundation
@testable import Fusion
import Inference
import NamingSchemes
import Testing
import Transport
import WeightStore

/// The post-fusion statistics correction (``Repair``) on the sample models and their
/// calibration splits: it keeps the permutation property, does nothing when the statistics
/// already match, reaches its targets, and refuses what it cannot do with precise errors.
@Suite("Repair (post-fusion statistics correction)", .serialized)
struct RepairTests {
    static func has(_ names: String...) -> Bool {
        names.allSatisfy { FileManager.default.fileExists(atPath: TestEnvironment.sample($0)) }
    }
    static let vitFiles = has("vit-digits-a", "vit-digits-b", "data/digits-calib.h5")
    static let bertFiles = has("bert-mlm-a", "data/bert-calib.h5")

    /// Every site, and the exact sites only (the stream would supersede the attention output).
    static let siteSets: [Set<RepairOptions.Site>] = [[.mlp, .attention, .stream, .norm], [.mlp, .attention, .norm]]

    static func options(_ sites: Set<RepairOptions.Site>) -> RepairOptions {
        var o = RepairOptions()
        o.sites = sites
        return o
    }

    static func fuseAndRepair(_ inputs: [FusionInput], options: FusionOptions = FusionOptions(), calibration: EvalDataset,
                              repair: RepairOptions) throws -> (fused: WeightStore, repaired: RepairResult) {
        let fused = try Fuser.fuse(inputs, options: options, keepMaps: true)
        return (fused.store, try Repair.correct(inputs, fused: fused, options: options, calibration: calibration, repair: repair))
    }

    // MARK: - Properties

    @Test("a model fused with its permuted copy comes back exactly with the correction (ViT)",
          .enabled(if: vitFiles), arguments: siteSets)
    func permutationViT(sites: Set<RepairOptions.Site>) throws {
        let model = try TestEnvironment.read(TestEnvironment.sample("vit-digits-a"))
        let copy = try TestEnvironment.canonical(try PermutedCopy.make(model, seed: 7))
        let calibration = try EvalDataset.read(TestEnvironment.sample("data/digits-calib.h5"))
        let r = try Self.fuseAndRepair([FusionInput(label: "model", model: model), FusionInput(label: "copy", model: copy)],
                                       calibration: calibration, repair: Self.options(sites))
        #expect(!r.repaired.sites.isEmpty)
        let e = try maxDifference(model.store, r.repaired.store)
        #expect(e.value < 1e-4, "repaired fusion differs from the model by \(e.value) in \(e.tensor)")
    }

    @Test("a model fused with its permuted copy comes back exactly with the correction (MLM BERT)",
          .enabled(if: bertFiles), arguments: siteSets)
    func permutationBERT(sites: Set<RepairOptions.Site>) throws {
        let model = try TestEnvironment.read(TestEnvironment.sample("bert-mlm-a"))
        let copy = try TestEnvironment.canonical(try PermutedCopy.make(model, seed: 5))
        var repair = Self.options(sites)
        repair.numSamples = 48
        let calibration = try EvalDataset.read(TestEnvironment.sample("data/bert-calib.h5"))
        let r = try Self.fuseAndRepair([FusionInput(label: "copy", model: copy), FusionInput(label: "model", model: model)],
                                       options: { var o = FusionOptions(); o.anchor = 1; return o }(),
                                       calibration: calibration, repair: repair)
        let e = try maxDifference(model.store, r.repaired.store)
        #expect(e.value < 1e-4, "repaired fusion differs from the model by \(e.value) in \(e.tensor)")
    }

    @Test("no-op when the statistics already match: a model fused with itself (OT and vanilla)", .enabled(if: vitFiles))
    func noOpWithItself() throws {
        let model = try TestEnvironment.read(TestEnvironment.sample("vit-digits-b"))
        let calibration = try EvalDataset.read(TestEnvironment.sample("data/digits-calib.h5"))
        let inputs = [FusionInput(label: "b", model: model), FusionInput(label: "b again", model: model)]
        for method in FusionOptions.Method.allCases {
            var options = FusionOptions()
            options.method = method
            let r = try Self.fuseAndRepair(inputs, options: options, calibration: calibration, repair: Self.options([.mlp, .attention, .stream, .norm]))
            let e = try maxDifference(r.fused, r.repaired.store)
            #expect(e.value < 1e-5, "\(method): the correction changed \(e.tensor) by \(e.value)")
            for site in r.repaired.sites {
                #expect(site.scaleRange.lowerBound > 1 - 1e-4 && site.scaleRange.upperBound < 1 + 1e-4, "\(method) \(site.site): scales \(site.scaleRange)")
            }
        }
    }

    /// After the correction, every site's channel statistics of the fused model equal the
    /// targets: exactly (to float error) for MLP, attention and LayerNorm outputs; for the
    /// stream joins the means exactly and the spreads on the channels that were not limited.
    @Test("the corrected model's statistics equal the targets", .enabled(if: vitFiles), arguments: siteSets)
    func targetsReached(sites: Set<RepairOptions.Site>) throws {
        let inputs = try ["vit-digits-a", "vit-digits-b"].map { FusionInput(label: $0, model: try TestEnvironment.read(TestEnvironment.sample($0))) }
        let calibration = try EvalDataset.read(TestEnvironment.sample("data/digits-calib.h5"))
        let options = FusionOptions()
        let repair = Self.options(sites)
        let fused = try Fuser.fuse(inputs, options: options, keepMaps: true)
        let result = try Repair.correct(inputs, fused: fused, options: options, calibration: calibration, repair: repair)
        let architecture = inputs[0].model.architecture
        let forward = RepairSite.forward(family: .vit, layers: architecture.layers, options: repair)
        let names = Set(forward.map(\.name))
        let parents = try inputs.map { try Repair.measure($0.model.store, label: $0.label, architecture: $0.model.architecture,
                                                           calibration: calibration, numSamples: options.numSamples, depth: nil, wanted: names) }
        let after = try Repair.measure(result.store, label: "repaired", architecture: architecture, calibration: calibration,
                                       numSamples: options.numSamples, depth: nil, wanted: names)
        var maps: [String: [Int: TransportMap]] = [:]
        for (name, map) in fused.maps where name.hasPrefix("model1/") { maps[String(name.dropFirst(7)), default: [:]][1] = map }
        for (index, site) in forward.enumerated() {
            let target = try Repair.target(site.name, parents: parents, maps: maps[site.mapPlace] ?? [:], coefficients: [0.5, 0.5],
                                           anchor: 0, labels: ["a", "b"])
            let m = try #require(after[site.name])
            let report = try #require(result.sites.first { $0.site == site.name })
            let scale = max(target.std.max() ?? 1, 1e-3)
            let meanError = zip(m.mean, target.mean).map { abs($0 - $1) }.max() ?? 0
            let stdErrors = zip(m.std, target.std).map { abs($0 - $1) }
            // The first site is corrected on exactly the statistics measured here; later ones
            // accumulate float error through the layers before them.
            let tolerance = index == 0 ? 1e-4 : 2e-3
            #expect(meanError < tolerance * scale, "\(site.name): channel means off by up to \(meanError)")
            // Join channels whose spread could not be reached within the scale bound are the only misses.
            let missed = stdErrors.filter { $0 >= tolerance * scale }.count
            #expect(missed <= report.limited, "\(site.name): \(missed) channel spreads off (up to \(stdErrors.max() ?? 0)), \(report.limited) limited")
        }
    }

    @Test("targets: parents' own statistics through the barycentric projection of the map")
    func targetFormula() throws {
        // Parent 1 has 3 channels, the anchor 2; a soft map [3, 2] in reference scaling.
        var m0 = SiteMoments(values: [1, 2, 3, 6], rows: 2, width: 2)   // anchor: means [2, 4], stds [1, 2]
        m0.parts = nil
        let m1 = SiteMoments(values: [0, 10, 4, 2, 20, 8], rows: 2, width: 3)   // means [1, 15, 6], stds [1, 5, 2]
        let map = TransportMap(scaled: try Matrix([[1, 0], [0.5, 0.5], [0, 1]]))
        let t = try Repair.target("x", parents: [["x": m0], ["x": m1]], maps: [1: map], coefficients: [0.25, 0.75],
                                  anchor: 0, labels: ["a", "b"])
        // Barycentric columns: c0 = (1·ch0 + 0.5·ch1) / 1.5, c1 = (0.5·ch1 + 1·ch2) / 1.5.
        let mapped = [(1 + 0.5 * 15) / 1.5, (0.5 * 15 + 6) / 1.5], mappedStd = [(1 + 0.5 * 5) / 1.5, (0.5 * 5 + 2) / 1.5]
        for c in 0..<2 {
            #expect(abs(t.mean[c] - (0.25 * [2.0, 4][c] + 0.75 * mapped[c])) < 1e-12)
            #expect(abs(t.std[c] - (0.25 * [1.0, 2][c] + 0.75 * mappedStd[c])) < 1e-12)
        }
    }

    @Test("join correction: the mean exactly, the spread by the root closest to 1, bounded")
    func joinAffine() throws {
        // r and s over 4 rows, one channel: var(r) = 1.25, var(s) = 5, cov = 2.5.
        let moments = SiteMoments(residual: [1, 2, 3, 4], written: [2, 4, 6, 8], rows: 4, width: 1)
        let parts = try #require(moments.parts)
        let target = SiteTarget(mean: [3], std: [4])
        let change = Repair.affine(measured: moments, target: target, options: RepairOptions())
        let a = change.scale[0]
        #expect(abs(parts.varR[0] + a * a * parts.varS[0] + 2 * a * parts.cov[0] - 16) < 1e-9)
        #expect(abs(parts.meanR[0] + a * parts.meanS[0] + change.shift[0] - 3) < 1e-12)
        #expect(change.limited == 0)
        var bounded = RepairOptions()
        bounded.maxStreamScale = 1.1
        let limited = Repair.affine(measured: moments, target: target, options: bounded)
        #expect(abs(limited.scale[0] - 1.1) < 1e-12 && limited.limited == 1)
    }

    // MARK: - Errors

    @Test("a calibration file of the wrong task is refused before any work, naming the model and the file",
          .enabled(if: vitFiles && has("data/bert-calib.h5")))
    func wrongTask() throws {
        let inputs = try ["vit-digits-a", "vit-digits-b"].map { FusionInput(label: $0, model: try TestEnvironment.read(TestEnvironment.sample($0))) }
        let path = TestEnvironment.sample("data/bert-calib.h5")
        let calibration = try EvalDataset.read(path)
        do { try Repair.check(inputs, calibration: calibration); Issue.record("expected an error") } catch let e as FusionError {
            guard case .repair = e else { Issue.record("expected .repair, got \(e)"); return }
            #expect(e.description.contains("vit-digits-a") && e.description.contains(path) && e.description.contains("masked-lm"), "\(e)")
        }
        let fused = try Fuser.fuse(inputs, options: FusionOptions(), keepMaps: true)
        #expect(throws: FusionError.self) { _ = try Repair.correct(inputs, fused: fused, options: FusionOptions(), calibration: calibration) }
    }

    @Test("a fusion result without transport maps is refused with a hint", .enabled(if: vitFiles))
    func noMaps() throws {
        let inputs = try ["vit-digits-a", "vit-digits-b"].map { FusionInput(label: $0, model: try TestEnvironment.read(TestEnvironment.sample($0))) }
        let calibration = try EvalDataset.read(TestEnvironment.sample("data/digits-calib.h5"), limit: 8)
        let fused = try Fuser.fuse(inputs, options: FusionOptions())
        do { _ = try Repair.correct(inputs, fused: fused, options: FusionOptions(), calibration: calibration); Issue.record("expected an error") } catch let e as FusionError {
            #expect(e.description.contains("keepMaps: true"), "\(e)")
        }
    }

    @Test("a model that cannot run (no config.json) is refused, naming it", .enabled(if: vitFiles))
    func modelWithoutConfig() throws {
        let a = try TestEnvironment.read(TestEnvironment.sample("vit-digits-a"))
        var bare = a
        bare.store = try WeightStore(tensors: a.store.tensors, metadata: a.store.metadata, configJSON: nil)
        let calibration = try EvalDataset.read(TestEnvironment.sample("data/digits-calib.h5"), limit: 8)
        do {
            try Repair.check([FusionInput(label: "a", model: a), FusionInput(label: "bare.safetensors", model: bare)], calibration: calibration)
            Issue.record("expected an error")
        } catch let e as FusionError {
            #expect(e.description.contains("bare.safetensors") && e.description.contains("config"), "\(e)")
        }
    }

    // MARK: - Configuration

    @Test("the repair: key (true, false, a mapping) and its errors")
    func config() throws {
        var o = FusionOptions()
        _ = try o.apply(yaml: "fusion:\n  repair: true\n", file: "f.yaml")
        #expect(o.repair == RepairOptions())
        _ = try o.apply(yaml: "fusion:\n  repair: false\n", file: "f.yaml")
        #expect(o.repair == nil)
        _ = try o.apply(yaml: "fusion:\n  repair:\n    sites: [mlp, stream]\n    mean_only: true\n    num_samples: 64\n", file: "f.yaml")
        var expected = RepairOptions()
        expected.sites = [.mlp, .stream]
        expected.matchSpread = false
        expected.numSamples = 64
        #expect(o.repair == expected)
        for bad in ["fusion:\n  repair: yes please\n", "fusion:\n  repair:\n    sites: mlp,residual\n", "fusion:\n  repair:\n    spread: true\n",
                    "fusion:\n  repair:\n    max_stream_scale: 0.5\n"] {
            do { _ = try o.apply(yaml: bad, file: "f.yaml"); Issue.record("accepted \(bad)") } catch let e as FusionError {
                #expect(e.description.hasPrefix("f.yaml: fusion.repair"), "\(e)")
            }
        }
    }
}
