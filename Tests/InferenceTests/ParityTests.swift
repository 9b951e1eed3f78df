import Checkpoints
import Foundation
import Testing
import WeightStore
@testable import Inference

/// Outputs of the tiny random models equal transformers' (float32) within 1e-4.
@Suite("Forward-pass parity with transformers")
struct ParityTests {
    @Test("ViT image-classification logits", arguments: [("vit", "vit_data.h5", 5), ("vit_grid8", "vit_grid8_data.h5", 3)])
    func vitLogits(_ name: String, _ data: String, _ labels: Int) throws {
        let model = try ViTModel(store: try Fixtures.store(name), source: name)
        let dataset = try EvalDataset.read(Fixtures.path(data))
        let expected = try Fixtures.floats("expected.h5", "\(name)/logits")
        let logits = try model.logits(images: dataset.images, count: dataset.count)
        #expect(expected.shape == [dataset.count, labels])
        let error = maxAbsDifference(logits, expected.values)
        #expect(error < 1e-4, "max |Δ| = \(error)")
        print("parity \(name) logits: max |Δ| = \(error)")
    }

    @Test("BERT masked-LM logits (tied decoder)")
    func bertMaskedLM() throws {
        let model = try BERTModel(store: try Fixtures.store("bert_mlm"), source: "bert_mlm")
        #expect(model.hasMaskedLMHead && !model.hasPooler)
        let dataset = try EvalDataset.read(Fixtures.path("bert_mlm_data.h5"))
        let expected = try Fixtures.floats("expected.h5", "bert_mlm/logits")
        let rows = expected.shape[0]
        let logits = try model.maskedLMLogits(try #require(dataset.tokens).slice(0..<rows))
        let error = maxAbsDifference(logits, expected.values)
        #expect(error < 1e-4, "max |Δ| = \(error)")
        print("parity bert mlm logits: max |Δ| = \(error)")
    }

    @Test("BERT pooler, last hidden state and sequence-classification logits")
    func bertClassification() throws {
        let model = try BERTModel(store: try Fixtures.store("bert_cls"), source: "bert_cls")
        let tokens = try #require(try EvalDataset.read(Fixtures.path("bert_cls_data.h5")).tokens)
        let pooler = try Fixtures.floats("expected.h5", "bert_cls/pooler")
        let logits = try Fixtures.floats("expected.h5", "bert_cls/logits")
        let hidden = try Fixtures.floats("expected.h5", "bert_cls/last_hidden")
        let poolerError = maxAbsDifference(try model.poolerOutput(tokens), pooler.values)
        let logitError = maxAbsDifference(try model.classificationLogits(tokens), logits.values)
        let hiddenError = maxAbsDifference(try model.lastHiddenState(tokens.slice(0..<hidden.shape[0])), hidden.values)
        #expect(poolerError < 1e-4, "pooler max |Δ| = \(poolerError)")
        #expect(logitError < 1e-4, "logits max |Δ| = \(logitError)")
        #expect(hiddenError < 1e-4, "last hidden state max |Δ| = \(hiddenError)")
        print("parity bert cls: pooler \(poolerError), logits \(logitError), last hidden \(hiddenError)")
    }

    /// The real all-MiniLM-L6-v2 (set TRANSFUSE_MINILM_DIR to its folder; the Makefile does).
    @Test("all-MiniLM-L6-v2 sentence embeddings and pooler",
          .enabled(if: ProcessInfo.processInfo.environment["TRANSFUSE_MINILM_DIR"] != nil))
    func miniLM() throws {
        let folder = try #require(ProcessInfo.processInfo.environment["TRANSFUSE_MINILM_DIR"])
        let model = try BERTModel(store: try Checkpoint.read(folder), source: folder)
        let ids = try Fixtures.ints("minilm.h5", "input_ids")
        let mask = try Fixtures.ints("minilm.h5", "attention_mask").values
        let types = try Fixtures.ints("minilm.h5", "token_type_ids").values
        let batch = try TokenBatch(inputIDs: ids.values, attentionMask: mask, tokenTypeIDs: types,
                                   count: ids.shape[0], length: ids.shape[1])
        let embeddings = try Fixtures.floats("minilm.h5", "sentence_embeddings")
        let pooler = try Fixtures.floats("minilm.h5", "pooler")
        let embeddingError = maxAbsDifference(try model.sentenceEmbeddings(batch), embeddings.values)
        let poolerError = maxAbsDifference(try model.poolerOutput(batch), pooler.values)
        #expect(embeddingError < 1e-4, "sentence embeddings max |Δ| = \(embeddingError)")
        #expect(poolerError < 1e-4, "pooler max |Δ| = \(poolerError)")
        print("parity all-MiniLM-L6-v2: sentence embeddings \(embeddingError), pooler \(poolerError)")
    }
}
