import Checkpoints
import Foundation
import Testing
import WeightStore

/// `transfuse eval` on the bundled samples against what transformers measured (METRICS.json).
@Suite struct EvalCommandTests {
    func evaluate(_ models: [String], data: String) throws -> [[String: Any]] {
        let result = try CommandRunner.run(["eval"] + models.map(SampleModels.path) + ["--data", SampleModels.path(data), "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        return try #require(json["models"] as? [[String: Any]])
    }

    @Test func digitViTsMatchTransformers() throws {
        let names = ["vit-digits-a", "vit-digits-narrow"]
        let models = try evaluate(names, data: "data/digits-test.h5")
        #expect(models.count == 2)
        for (name, entry) in zip(names, models) {
            #expect((entry["path"] as? String)?.hasSuffix(name) == true, "models are reported in the order given")
            #expect(entry["samples"] as? Int == 397)
            let accuracy = try #require(try SampleModels.metric(name, "accuracy"))
            let loss = try #require(try SampleModels.metric(name, "loss"))
            // METRICS.json rounds to 6 decimals: compare the number of correct predictions exactly.
            #expect(((entry["accuracy"] as? Double ?? -1) * 397).rounded() == (accuracy * 397).rounded(), "\(name) accuracy")
            #expect(abs((entry["loss"] as? Double ?? -1) - loss) < 1e-4, "\(name) loss")
        }
    }

    @Test func maskedLMBertMatchesTransformers() throws {
        let entry = try #require(try evaluate(["bert-mlm-a"], data: "data/bert-test.h5").first)
        let loss = try #require(try SampleModels.metric("bert-mlm-a", "loss"))
        #expect(abs((entry["loss"] as? Double ?? -1) - loss) < 1e-4)
        #expect(abs((entry["perplexity"] as? Double ?? -1) - exp(loss)) < 1e-2)
        #expect(abs((entry["accuracy"] as? Double ?? -1) - (try SampleModels.metric("bert-mlm-a", "accuracy") ?? 0)) < 1e-5)
    }

    @Test func mismatchedDatasetIsAClearError() throws {
        let result = try CommandRunner.run(["eval", SampleModels.path("vit-digits-a"), "--data", SampleModels.path("data/bert-test.h5")])
        #expect(result.status == 1)
        #expect(result.stderr.contains("bert-test.h5"), "\(result.stderr)")
    }
}

/// `transfuse activations`: one [samples × tokens, width] dataset per module, standardised.
@Suite struct ActivationsCommandTests {
    @Test func writesStandardisedActivationsPerModule() throws {
        let folder = try TemporaryFolder()
        let output = folder.file("acts.h5")
        let result = try CommandRunner.run(["activations", SampleModels.path("vit-digits-a"),
                                            "--data", SampleModels.path("data/digits-calib.h5"),
                                            "--output", output, "--num-samples", "20"])
        #expect(result.status == 0, "\(result.stderr)")
        // Inspect reads the file like any HDF5 store: one tensor per module.
        let listing = try CommandRunner.run(["inspect", output, "--json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(listing.stdout.utf8)) as? [String: Any])
        let tensors = try #require(json["tensors"] as? [[String: Any]])
        let shapes = Dictionary(uniqueKeysWithValues: tensors.compactMap { t in
            (t["name"] as? String).map { ($0, t["shape"] as? [Int] ?? []) }
        })
        // 20 images × (16 patches + class token) rows; the MLP's first layer is 128 wide.
        #expect(shapes["encoder.layer.0.intermediate.dense"] == [20 * 17, 128])
        #expect(shapes["embeddings.patch_embeddings"] == [20 * 16, 64])
        #expect(tensors.count >= 4 * 8)
    }

    @Test func refusesAnExistingOutput() throws {
        let folder = try TemporaryFolder()
        let output = folder.file("acts.h5")
        try Data("keep".utf8).write(to: URL(fileURLWithPath: output))
        let result = try CommandRunner.run(["activations", SampleModels.path("vit-digits-a"),
                                            "--data", SampleModels.path("data/digits-calib.h5"), "--output", output])
        #expect(result.status == 1)
        #expect(try String(contentsOfFile: output, encoding: .utf8) == "keep")
    }
}

/// The sample BERT as a real Hugging Face `tf_model.h5` (written by transformers 4.46.3's
/// TensorFlow model): Transfuse reads the Keras file, maps the TF names, and gets the same model.
@Suite struct KerasSampleTests {
    @Test func tfModelH5MatchesThePyTorchSample() throws {
        let folder = try TemporaryFolder()
        let keras = SampleModels.path("formats/bert-mlm-a-tf-h5")
        for (source, target) in [(keras, "keras.safetensors"), (SampleModels.path("bert-mlm-a"), "torch.safetensors")] {
            let converted = try CommandRunner.run(["convert", source, folder.file(target), "--scheme", "canonical"])
            #expect(converted.status == 0, "\(converted.stderr)")
        }
        let diff = try CommandRunner.run(["diff", folder.file("keras.safetensors"), folder.file("torch.safetensors")])
        #expect(diff.status == 0, "\(diff.stdout)")
        let eval = try CommandRunner.run(["eval", keras, "--data", SampleModels.path("data/bert-test.h5"), "--json"])
        #expect(eval.status == 0, "\(eval.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any])
        let loss = try #require((json["models"] as? [[String: Any]])?.first?["loss"] as? Double)
        #expect(abs(loss - (try SampleModels.metric("bert-mlm-a", "loss") ?? 0)) < 1e-4)
    }

    /// keras-hub's own `.weights.h5` of the sample's encoder (its HF converter, Keras 3 save):
    /// every canonical tensor equals bert-mlm-a's bit for bit; only the identity pooler that a
    /// keras-hub backbone requires is extra, and the MLM head (not part of a backbone) is absent.
    @Test func kerasHubWeightsMatchThePyTorchSample() throws {
        let folder = try TemporaryFolder()
        let kerasHub = SampleModels.path("formats/bert-mlm-a-keras-hub.weights.h5")
        let inspect = try CommandRunner.run(["inspect", kerasHub, "--json"])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        #expect(inspect.stdout.contains("keras-hub-bert"))
        for (source, target) in [(kerasHub, "keras-hub.safetensors"), (SampleModels.path("bert-mlm-a"), "torch.safetensors")] {
            let converted = try CommandRunner.run(["convert", source, folder.file(target), "--scheme", "canonical"])
            #expect(converted.status == 0, "\(converted.stderr)")
        }
        let keras = try Checkpoint.read(folder.file("keras-hub.safetensors"))
        let torch = try Checkpoint.read(folder.file("torch.safetensors"))
        let encoder = torch.tensors.filter { !$0.name.hasPrefix("cls.") }
        #expect(encoder.count == 69)
        for t in encoder {
            let k = try #require(keras[t.name], "\(t.name) missing from the keras-hub copy")
            #expect(k.shape == t.shape && k.dtype == t.dtype, "\(t.name)")
            #expect(try k.floats() == t.floats(), "\(t.name) differs")
        }
        #expect(Set(keras.tensors.map(\.name)).subtracting(encoder.map(\.name)) == ["pooler.dense.weight", "pooler.dense.bias"])
        let pooler = try #require(keras["pooler.dense.weight"]).floats()
        let hidden = Int((Double(pooler.count)).squareRoot())
        #expect(pooler == (0..<pooler.count).map { $0 / hidden == $0 % hidden ? 1 : 0 })
    }
}
