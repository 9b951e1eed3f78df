import Checkpoints
import Foundation
@testable import Fusion
import NamingSchemes
import Testing
import WeightStore

/// The streamed fusion (each output tensor written as soon as its layer is fused) writes
/// exactly the file that the in-memory fusion followed by `Checkpoint.write` writes.
@Suite("Streamed fusion output", .serialized)
struct StreamingTests {
    struct Case: CustomStringConvertible, Sendable {
        var models: [String]
        var anchor = 0
        var scheme: String? = nil
        var method = FusionOptions.Method.ot
        var storedDecoder = false
        var output = "fused.safetensors"
        var description: String {
            "\(models.joined(separator: "+")) anchor \(anchor) \(method.rawValue) → \(scheme ?? "anchor's scheme") \(output)\(storedDecoder ? " (stored decoder)" : "")"
        }
    }

    static let cases: [Case] = [
        Case(models: ["vit-digits-a", "vit-digits-b"]),
        Case(models: ["vit-digits-a", "vit-digits-b", "vit-digits-c"], anchor: 1),
        Case(models: ["vit-digits-a", "vit-digits-narrow"]),
        Case(models: ["vit-digits-narrow", "vit-digits-a"], scheme: "timm-vit"),
        Case(models: ["vit-digits-a", "vit-digits-b"], method: .vanilla),
        Case(models: ["bert-mlm-a", "bert-mlm-b"]),
        Case(models: ["bert-mlm-a", "bert-mlm-b", "bert-mlm-a"], anchor: 2, storedDecoder: true),
        Case(models: ["bert-mlm-b", "bert-mlm-a"], scheme: "tf-bert", storedDecoder: true),
        Case(models: ["bert-mlm-a", "bert-mlm-b"], storedDecoder: true, output: "fused-folder"),
    ]

    static func available(_ c: Case) -> Bool {
        c.models.allSatisfy { FileManager.default.fileExists(atPath: TestEnvironment.sample($0)) }
    }

    /// A sample, with the tied MLM decoder stored (weight = word embeddings, bias =
    /// `cls.predictions.bias`, the same bytes) when `storedDecoder`.
    static func input(_ name: String, storedDecoder: Bool) throws -> FusionInput {
        var store = try Checkpoint.read(TestEnvironment.sample(name))
        if storedDecoder {
            let weight = try #require(store["bert.embeddings.word_embeddings.weight"])
            let bias = try #require(store["cls.predictions.bias"])
            try store.append(weight.renamed("cls.predictions.decoder.weight"))
            try store.append(bias.renamed("cls.predictions.decoder.bias"))
        }
        let model = try TestEnvironment.canonical(store)
        if storedDecoder { #expect(model.architecture.tiedDecoder == .storedTied) }
        return FusionInput(label: name, model: model)
    }

    static func files(in path: String) -> [String] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { return [] }
        guard isFolder.boolValue else { return [path] }
        return ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map { path + "/" + $0 }
    }

    @Test("Streamed output equals the in-memory fusion's, byte for byte",
          arguments: cases.filter(available))
    func sameBytes(_ c: Case) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("transfuse-stream-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let inputs = try c.models.map { try Self.input($0, storedDecoder: c.storedDecoder) }
        var options = FusionOptions()
        options.anchor = c.anchor
        options.method = c.method
        let anchor = inputs[c.anchor].model
        let scheme = c.scheme ?? anchor.detected.scheme
        let registry = TestEnvironment.registry

        let result = try Fuser.fuse(inputs, options: options)
        let converted = try SchemeConverter.fromCanonical(result.store, to: scheme, heads: anchor.architecture.heads, registry: registry)
        let whole = folder + "/whole-" + c.output
        try Checkpoint.write(converted, to: whole)

        let output = try FusedOutput(anchor: anchor, scheme: scheme, heads: anchor.architecture.heads, registry: registry)
        #expect(output.template.names == converted.names)
        let streamed = folder + "/" + c.output
        var written: [String] = []
        try Checkpoint.writeStreaming(template: output.template, to: streamed) { stream in
            let summary = try Fuser.stream(inputs, options: options, into: output) { tensor in
                try stream.write(tensor)   // throws, writing nothing, while a part is not fused yet
                written.append(tensor.name)
            }
            #expect(summary.warnings == result.warnings)
        }
        #expect(output.remaining == 0)
        #expect(Set(written) == Set(converted.names) && written.count == converted.count)
        let (a, b) = (Self.files(in: whole), Self.files(in: streamed))
        #expect(a.count == b.count && !a.isEmpty)
        if a.count > 1 {   // a folder: the same files
            #expect(a.map { URL(fileURLWithPath: $0).lastPathComponent } == b.map { URL(fileURLWithPath: $0).lastPathComponent })
        }
        for (x, y) in zip(a, b) {
            let same = try Data(contentsOf: URL(fileURLWithPath: x)) == Data(contentsOf: URL(fileURLWithPath: y))
            #expect(same, "\(URL(fileURLWithPath: y).lastPathComponent) differs")
        }
        // Nothing but the two outputs (no temporary files left).
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["whole-" + c.output, c.output].sorted())
    }

    @Test("Tensors are written while the later layers are still being aligned")
    func writesBeforeTheEnd() throws {
        let layers = 4
        let inputs = try (1...2).map { seed in
            FusionInput(label: "m\(seed)", model: try TestEnvironment.canonical(RandomModels.vit(layers: layers, seed: UInt64(seed))))
        }
        let anchor = inputs[0].model
        let output = try FusedOutput(anchor: anchor, scheme: anchor.detected.scheme, heads: anchor.architecture.heads,
                                     registry: TestEnvironment.registry)
        let lock = NSLock()
        var events: [String] = []
        _ = try Fuser.stream(inputs, options: FusionOptions(), progress: { line in lock.withLock { events.append("progress " + line) } },
                             into: output) { tensor in
            try tensor.withBytes { _ in }   // throws while a part is not fused yet
            lock.withLock { events.append("write " + tensor.name) }
        }
        // Layer 0 (stage 1) is written at the latest while layer 1 (stage 2) is aligned, so
        // before stage 3 (layer 3/4) starts.
        let layer3 = try #require(events.firstIndex(of: "progress   layer 3/\(layers)"))
        let layer0 = try #require(events.firstIndex { $0.hasPrefix("write ") && $0.contains("encoder.layer.0.intermediate.dense.weight") })
        #expect(layer0 < layer3, "layer 0 is written before layer 3 is aligned")
        #expect(events.filter { $0.hasPrefix("write ") }.count == output.template.count)
    }

    @Test("A failed streamed fusion leaves nothing behind")
    func failureLeavesNothing() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("transfuse-stream-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let a = try FusionInput(label: "a", model: TestEnvironment.canonical(RandomModels.vit(layers: 2, seed: 1)))
        let b = try FusionInput(label: "b", model: TestEnvironment.canonical(RandomModels.vit(layers: 3, seed: 2)))
        let output = try FusedOutput(anchor: a.model, scheme: a.model.detected.scheme, heads: 2, registry: TestEnvironment.registry)
        #expect(throws: FusionError.self) {
            try Checkpoint.writeStreaming(template: output.template, to: folder + "/out.safetensors") { stream in
                _ = try Fuser.stream([a, b], options: FusionOptions(), into: output, write: stream.write)
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
    }
}
