import Foundation
import HDF5Kit
import Testing
import WeightStore
@testable import Inference

/// Accuracy and loss equal transformers' on the fixture datasets.
@Suite("Evaluation")
struct EvaluationTests {
    @Test("accuracy and loss equal transformers'", arguments: [
        ("vit", "vit_data.h5", DatasetTask.imageClassification),
        ("bert_mlm", "bert_mlm_data.h5", DatasetTask.maskedLM),
        ("bert_cls", "bert_cls_data.h5", DatasetTask.sequenceClassification),
    ])
    func matchesTransformers(_ model: String, _ data: String, _ task: DatasetTask) throws {
        let dataset = try EvalDataset.read(Fixtures.path(data))
        #expect(dataset.task == task)
        let runner = try TransformerModel(store: try Fixtures.store(model), source: model)
        let result = try runner.evaluate(dataset, source: model, batchSize: 5)
        let accuracy = try Fixtures.scalar("expected.h5", "\(model)/accuracy")
        let loss = try Fixtures.scalar("expected.h5", "\(model)/loss")
        #expect(result.samples == dataset.count)
        // transformers' accuracy went through a float32 mean: equal to float32 precision, i.e.
        // the same number of correct predictions.
        #expect(abs(result.accuracy - accuracy) < 1e-6, "accuracy \(result.accuracy) vs \(accuracy)")
        #expect(Int((result.accuracy * Double(result.scored)).rounded()) == Int((accuracy * Double(result.scored)).rounded()))
        #expect(abs(result.loss - loss) < 1e-4, "loss \(result.loss) vs \(loss)")
        #expect((result.perplexity != nil) == (task == .maskedLM))
        print("eval \(model): accuracy \(result.accuracy) (transformers \(accuracy)), loss \(result.loss) (transformers \(loss))")
    }

    @Test("--limit keeps the first samples; batch size does not change the result")
    func limitAndBatch() throws {
        let runner = try TransformerModel(store: try Fixtures.store("vit"), source: "vit")
        let all = try EvalDataset.read(Fixtures.path("vit_data.h5"))
        let first = try EvalDataset.read(Fixtures.path("vit_data.h5"), limit: 7)
        #expect(first.count == 7 && first.labels == Array(all.labels.prefix(7)))
        let a = try runner.evaluate(all, source: "vit", batchSize: 1)
        let b = try runner.evaluate(all, source: "vit", batchSize: 100)
        #expect(a.accuracy == b.accuracy && abs(a.loss - b.loss) < 1e-6)
    }
}

/// Bad datasets and models are refused with messages naming the file, the dataset and the shapes.
@Suite("Dataset and model errors")
struct DatasetErrorTests {
    /// Writes a small HDF5 file with the given int64 / float32 datasets.
    func write(_ ints: [String: ([Int], [Int])], floats: [String: ([Float], [Int])] = [:]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("data-\(UUID().uuidString).h5").path
        let file = try HDF5File.create(path)
        let root = try file.root()
        let int64 = try HDF5Datatype.element(.int64), float32 = try HDF5Datatype.element(.float32)
        for (name, (values, shape)) in ints {
            let set = try root.createDataset(name, type: int64, shape: shape)
            try values.map(Int64.init).withUnsafeBytes { try set.write($0, memoryType: int64) }
        }
        for (name, (values, shape)) in floats {
            let set = try root.createDataset(name, type: float32, shape: shape)
            try values.withUnsafeBytes { try set.write($0, memoryType: float32) }
        }
        try file.flush()
        return path
    }

    func message(_ body: () throws -> Void) -> String {
        do { try body(); return "" } catch { return "\(error)" }
    }

    @Test("mismatched shapes, missing keys, ids outside the vocabulary, wrong image size, NaN pixels")
    func errors() throws {
        let bert = try TransformerModel(store: try Fixtures.store("bert_cls"), source: "bert_cls")
        let vit = try TransformerModel(store: try Fixtures.store("vit"), source: "vit")

        let mismatched = try write(["input_ids": ([Int](repeating: 5, count: 6), [2, 3]), "labels": ([0, 1, 2], [3])])
        let m1 = message { _ = try EvalDataset.read(mismatched) }
        #expect(m1.contains(mismatched) && m1.contains("labels") && m1.contains("[2]") && m1.contains("[3]"), "\(m1)")

        let outside = try write(["input_ids": ([5, 500, 7, 8], [2, 2]), "labels": ([0, 1], [2])])
        let m2 = message { _ = try bert.evaluate(try EvalDataset.read(outside), source: "bert_cls") }
        #expect(m2.contains("500") && m2.contains("vocab_size 100") && m2.contains("input_ids"), "\(m2)")

        let small = try write(["labels": ([0], [1])], floats: ["images": ([Float](repeating: 0, count: 3 * 8 * 8), [1, 3, 8, 8])])
        let m3 = message { _ = try vit.evaluate(try EvalDataset.read(small), source: "vit") }
        #expect(m3.contains("[3, 8, 8]") && m3.contains("[3, 16, 16]"), "\(m3)")

        let nothing = try write(["tokens": ([1], [1])])
        let m4 = message { _ = try EvalDataset.read(nothing) }
        #expect(m4.contains("images") && m4.contains("input_ids"), "\(m4)")

        let badLabel = try write(["input_ids": ([5, 6], [1, 2]), "labels": ([7], [1])])
        let m5 = message { _ = try bert.evaluate(try EvalDataset.read(badLabel), source: "bert_cls") }
        #expect(m5.contains("label 7") && m5.contains("3 labels"), "\(m5)")

        let images = try EvalDataset.read(Fixtures.path("vit_data.h5"))
        let m6 = message { _ = try bert.evaluate(images, source: "bert_cls") }
        #expect(m6.contains("input_ids"), "\(m6)")
        let empty = try write(["input_ids": ([], [0, 4]), "labels": ([], [0])])
        let m7 = message { _ = try EvalDataset.read(empty) }
        #expect(m7.contains("no tokens") && m7.contains("[0, 4]"), "\(m7)")
        var pixels = [Float](repeating: 0.5, count: 2 * 3 * 16 * 16)
        pixels[3 * 16 * 16 + 17] = .nan
        let notFinite = try write(["labels": ([0, 1], [2])], floats: ["images": (pixels, [2, 3, 16, 16])])
        let m8 = message { _ = try EvalDataset.read(notFinite) }
        #expect(m8.contains(notFinite) && m8.contains("images") && m8.contains("sample 1") && m8.contains("nan")
                && m8.contains("element 17") && m8.contains("[2, 3, 16, 16]"), "\(m8)")
        for path in [mismatched, outside, small, nothing, badLabel, empty, notFinite] { try? FileManager.default.removeItem(atPath: path) }
    }

    @Test("missing config keys and tensors, wrong shapes are named")
    func modelErrors() throws {
        var store = try Fixtures.store("vit")
        store.configJSON = #"{"hidden_size": 32, "num_attention_heads": 4}"#
        let m1 = message { _ = try ViTModel(store: store, source: "tiny.safetensors") }
        #expect(m1.contains("tiny.safetensors") && m1.contains("num_hidden_layers"), "\(m1)")

        var missing = try Fixtures.store("vit")
        missing.remove("encoder.layer.1.output.dense.bias")
        let m2 = message { _ = try ViTModel(store: missing, source: "tiny") }
        #expect(m2.contains("encoder.layer.1.output.dense.bias"), "\(m2)")

        var wrong = try Fixtures.store("bert_cls")
        wrong.set(try Tensor.fromFloats(name: "encoder.layer.0.attention.self.query.weight", shape: [32, 16],
                                        values: [Float](repeating: 0, count: 512)))
        let m3 = message { _ = try BERTModel(store: wrong, source: "tiny") }
        #expect(m3.contains("encoder.layer.0.attention.self.query.weight") && m3.contains("[32, 32]") && m3.contains("[32, 16]"), "\(m3)")
    }
}
