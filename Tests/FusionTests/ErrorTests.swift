import Foundation
import Checkpoints
@testable import Fusion
import NamingSchemes
import Testing
import WeightStore

@Suite("Errors before any work")
struct ErrorTests {
    func model(_ store: WeightStore) throws -> FusionInput {
        FusionInput(label: "m.safetensors", model: try TestEnvironment.canonical(store))
    }

    @Test("different depth is refused with both depths named")
    func depth() throws {
        let a = try model(try RandomModels.vit(layers: 2)), b = try model(try RandomModels.vit(layers: 3))
        do { _ = try Fuser.fuse([a, b], options: FusionOptions()); Issue.record("expected an error") } catch let e as FusionError {
            #expect(e.description.contains("2 layers") && e.description.contains("3 layers"))
        }
    }

    @Test("different head counts are refused")
    func heads() throws {
        let a = try model(try RandomModels.vit(heads: 2)), b = try model(try RandomModels.vit(heads: 4))
        #expect(throws: FusionError.self) { _ = try Fuser.fuse([a, b], options: FusionOptions()) }
    }

    @Test("NaN weights are refused naming the tensor")
    func nan() throws {
        var store = try RandomModels.vit()
        let t = try #require(store["vit.encoder.layer.1.output.dense.bias"])
        var values = try t.floats()
        values[3] = .nan
        store.set(try Tensor.fromFloats(name: t.name, shape: t.shape, values: values))
        let a = try model(try RandomModels.vit()), b = try model(store)
        do { _ = try Fuser.fuse([a, b], options: FusionOptions()); Issue.record("expected an error") } catch let e as FusionError {
            #expect(e.description.contains("encoder.layer.1.output.dense.bias") && e.description.contains("nan"))
        }
    }

    @Test("NaN in mapped files, checked on both cores: the first tensor in order with one is named")
    func nanInMappedFiles() throws {
        var store = try RandomModels.vit(layers: 4)
        for name in ["vit.encoder.layer.0.attention.attention.query.weight", "vit.encoder.layer.3.output.dense.weight"] {
            let t = try #require(store[name])
            var values = try t.floats()
            values[1] = .infinity
            store.set(try Tensor.fromFloats(name: t.name, shape: t.shape, values: values))
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("transfuse-nan-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Checkpoint.write(try RandomModels.vit(layers: 4), to: folder + "/a.safetensors")
        try Checkpoint.write(store, to: folder + "/b.safetensors")
        let a = FusionInput(label: "a", model: try TestEnvironment.read(folder + "/a.safetensors"))
        let b = FusionInput(label: "b", model: try TestEnvironment.read(folder + "/b.safetensors"))
        #expect(b.model.store.tensors.allSatisfy { $0.source is MappedTensorSource })
        do { _ = try Fuser.fuse([a, b], options: FusionOptions()); Issue.record("expected an error") } catch let e as FusionError {
            #expect(e.description.contains("encoder.layer.0.attention.attention.query.weight") && e.description.contains("inf"),
                    "\(e.description)")
        }
    }

    @Test("vanilla averaging needs equal shapes; wrong --weights and --anchor are refused")
    func arguments() throws {
        let a = try model(try RandomModels.vit(hidden: 16)), b = try model(try RandomModels.vit(hidden: 8, heads: 2, seed: 2))
        var o = FusionOptions()
        o.method = .vanilla
        #expect(throws: FusionError.self) { _ = try Fuser.fuse([a, b], options: o) }
        var w = FusionOptions()
        w.modelWeights = [1, 2, 3]
        #expect(throws: FusionError.self) { _ = try Fuser.fuse([a, a], options: w) }
        var anchor = FusionOptions()
        anchor.anchor = 2
        #expect(throws: FusionError.self) { _ = try Fuser.fuse([a, a], options: anchor) }
    }

    @Test("heterogeneous widths fuse into the anchor's shapes")
    func heterogeneous() throws {
        let a = try model(try RandomModels.vit(hidden: 16, heads: 2, intermediate: 32)),
            b = try model(try RandomModels.vit(hidden: 8, heads: 2, intermediate: 12, seed: 5))
        for anchor in [0, 1] {
            var o = FusionOptions()
            o.anchor = anchor
            let fused = try Fuser.fuse([a, b], options: o).store
            let reference = [a, b][anchor].model.store
            for t in reference.tensors { #expect(fused[t.name]?.shape == t.shape, "\(t.name)") }
        }
    }
}
