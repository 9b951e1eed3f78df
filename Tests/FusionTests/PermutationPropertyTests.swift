import Foundation
@testable import Fusion
import NamingSchemes
import Testing
import WeightStore

/// ALGORITHM.md section 8: fusing a model with a function-preserving permuted copy of itself
/// (weights alignment, exact EMD, Transfuse's defaults) gives the model back; vanilla averaging
/// does not.
@Suite("Permutation property")
struct PermutationPropertyTests {
    static let miniLM = ProcessInfo.processInfo.environment["TRANSFUSE_MINILM_DIR"]

    /// Fuses `model` with its permuted copy (either as anchor) and returns the largest error
    /// against the model for OT and for vanilla averaging.
    func errors(_ model: CanonicalModel, options: FusionOptions = FusionOptions(), seed: UInt64 = 7,
                anchor: Int = 0) throws -> (ot: Float, otTensor: String, vanilla: Float) {
        let copy = try TestEnvironment.canonical(try PermutedCopy.make(model, seed: seed))
        let inputs = anchor == 0
            ? [FusionInput(label: "model", model: model), FusionInput(label: "copy", model: copy)]
            : [FusionInput(label: "copy", model: copy), FusionInput(label: "model", model: model)]
        var o = options
        o.anchor = anchor
        let fused = try Fuser.fuse(inputs, options: o)
        o.method = .vanilla
        let vanilla = try Fuser.fuse(inputs, options: o)
        let ot = try maxDifference(model.store, fused.store)
        return (ot.value, ot.tensor, try maxDifference(model.store, vanilla.store).value)
    }

    @Test("random ViT", arguments: [0, 1])
    func randomViT(anchor: Int) throws {
        let model = try TestEnvironment.canonical(try RandomModels.vit(hidden: 16, heads: 4, layers: 2, intermediate: 24))
        let e = try errors(model, anchor: anchor)
        #expect(e.ot < 1e-4, "OT fusion differs by \(e.ot) in \(e.otTensor)")
        #expect(e.vanilla > 0.1)
    }

    @Test("random ViT with heads: within, eq_t_map and joint Q/K")
    func options() throws {
        let model = try TestEnvironment.canonical(try RandomModels.vit(hidden: 16, heads: 4, layers: 2, intermediate: 24, seed: 3))
        for configure in [{ (o: inout FusionOptions) in o.heads = .within },
                          { (o: inout FusionOptions) in o.qkFusion = .eqTMap },
                          { (o: inout FusionOptions) in o.classToken = .stream },
                          { (o: inout FusionOptions) in o.streamAlignment = .global }] {
            var o = FusionOptions()
            configure(&o)
            let e = try errors(model, options: o)
            #expect(e.ot < 1e-4, "\(o.heads) \(o.qkFusion) \(o.classToken): differs by \(e.ot) in \(e.otTensor)")
        }
    }

    @Test("sample digit ViT", .enabled(if: FileManager.default.fileExists(atPath: TestEnvironment.sample("vit-digits-a"))))
    func sampleViT() throws {
        let e = try errors(try TestEnvironment.read(TestEnvironment.sample("vit-digits-a")))
        #expect(e.ot < 1e-4, "OT fusion differs by \(e.ot) in \(e.otTensor)")
        #expect(e.vanilla > 0.1)
    }

    @Test("sample MLM BERT (tied decoder)", .enabled(if: FileManager.default.fileExists(atPath: TestEnvironment.sample("bert-mlm-a"))))
    func sampleBERT() throws {
        let e = try errors(try TestEnvironment.read(TestEnvironment.sample("bert-mlm-a")))
        #expect(e.ot < 1e-4, "OT fusion differs by \(e.ot) in \(e.otTensor)")
        #expect(e.vanilla > 0.1)
    }

    /// BERT's default (`stream_alignment: global`: one stream map found by weight matching
    /// from the per-layer flow's inner maps) keeps the property (MiniLM below too).
    @Test("BERT defaults (global stream map), sample MLM BERT",
          .enabled(if: FileManager.default.fileExists(atPath: TestEnvironment.sample("bert-mlm-a"))), arguments: [0, 1])
    func bertDefaults(anchor: Int) throws {
        let options = FusionOptions.defaults(for: .bert, calibration: false)
        #expect(options.streamAlignment == .global)
        let e = try errors(try TestEnvironment.read(TestEnvironment.sample("bert-mlm-a")), options: options, anchor: anchor)
        #expect(e.ot < 1e-4, "OT fusion differs by \(e.ot) in \(e.otTensor) (anchor \(anchor))")
    }

    @Test("all-MiniLM-L6-v2", .enabled(if: miniLM != nil, "set TRANSFUSE_MINILM_DIR (the Makefile does)"))
    func miniLMModel() throws {
        let model = try TestEnvironment.read(try #require(Self.miniLM))
        let e = try errors(model)
        #expect(e.ot < 1e-4, "OT fusion differs by \(e.ot) in \(e.otTensor)")
        #expect(e.vanilla > 0.1)
        let d = try errors(model, options: .defaults(for: .bert, calibration: false))
        #expect(d.ot < 1e-4, "BERT defaults (global stream map) differ by \(d.ot) in \(d.otTensor)")
    }
}
