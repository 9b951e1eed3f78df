import Foundation
@testable import NamingSchemes
import Testing
import WeightStore

/// Cross-scheme agreement with the reference converters: the same weights written in two
/// schemes by transformers', timm's, keras-hub's and Hugging Face's TF code must give the same
/// canonical tensors. The references only move values (transpose, reshape, split), so the
/// agreement is exact: tolerance 0, compared as bytes.
@Suite("Agreement with reference converters")
struct ReferenceTests {
    static let pairs: [(source: String, reference: String, note: String)] = [
        ("timm-vit/model.safetensors", "timm-vit/hf-reference.safetensors", "transformers' convert_vit_timm_to_pytorch"),
        ("google-vit/model.npz", "google-vit/timm-reference.safetensors", "timm's _load_weights from the JAX .npz"),
        ("tf-bert/model.safetensors", "hf-bert-model", "transformers' convert_bert_pytorch_checkpoint_to_original_tf"),
        ("keras-hub-bert/model-h5-paths.safetensors", "hf-bert-model", "keras-hub's Hugging Face BERT converter"),
        ("keras-hub-bert/model.weights.h5", "hf-bert-model", "keras-hub's converter, read through the HDF5 reader"),
        ("tf-bert-h5-classifier/tf_model.h5", "hf-bert-classifier", "transformers 4.46.3 TFBertForSequenceClassification (from_pt)"),
        ("tf-bert-h5-mlm/tf_model.h5", "hf-bert-mlm", "transformers 4.46.3 TFBertForMaskedLM (from_pt; tied embeddings listed twice)"),
    ]

    @Test("same canonical tensors as the reference conversion", arguments: pairs.map { [$0.source, $0.reference] })
    func agreesWithReference(_ pair: [String]) throws {
        let source = try SchemeConverter.toCanonical(try Fixtures.read(pair[0]), heads: 2, registry: Fixtures.registry)
        let reference = try SchemeConverter.toCanonical(try Fixtures.read(pair[1]), heads: 2, registry: Fixtures.registry)
        try expectIdentical(reference.store, source.store, ordered: true)
    }

    @Test("tf_model.h5 weight names are the hf-tf-h5 dialect with the model's root")
    func tfH5Dialect() throws {
        let model = try SchemeConverter.toCanonical(try Fixtures.read("tf-bert-h5-classifier/tf_model.h5"), registry: Fixtures.registry)
        #expect(model.detected.scheme == "tf-bert" && model.detected.dialect == "hf-tf-h5")
        #expect(model.detected.variant == ["root": "tf_bert_for_sequence_classification", "suffix": ":0"])
        #expect(model.architecture.head == .sequenceClassification && model.architecture.hasPooler)
    }

    @Test("the legacy gamma/beta save holds the same weights plus the position_ids buffer")
    func legacySpelling() throws {
        let legacy = try SchemeConverter.toCanonical(try Fixtures.read("hf-bert-legacy"), registry: Fixtures.registry)
        let modern = try SchemeConverter.toCanonical(try Fixtures.read("hf-bert-model"), registry: Fixtures.registry)
        #expect(legacy.detected.variant["w"] == "gamma" && legacy.detected.variant["b"] == "beta")
        var withoutBuffer = legacy.store
        withoutBuffer.remove("embeddings.position_ids")
        try expectIdentical(modern.store, withoutBuffer, ordered: true)
        let ids = try #require(legacy.store["embeddings.position_ids"])
        #expect(ids.dtype == .i64 && ids.shape == [1, 24])
    }

    @Test("converting tf-bert to hf-bert gives transformers' own save")
    func tfToHuggingFace() throws {
        let converted = try SchemeConverter.convert(try Fixtures.read("tf-bert/model.safetensors"), to: "hf-bert",
                                                    registry: Fixtures.registry)
        let reference = try Fixtures.read("hf-bert-model")
        try expectIdentical(reference, converted)
    }

    @Test("converting timm to hf-vit with a prefix gives transformers' conversion")
    func timmToHuggingFace() throws {
        let converted = try SchemeConverter.convert(try Fixtures.read("timm-vit/model.safetensors"), to: "hf-vit",
                                                    variant: ["prefix": "vit."], registry: Fixtures.registry)
        try expectIdentical(try Fixtures.read("timm-vit/hf-reference.safetensors"), converted)
    }
}
