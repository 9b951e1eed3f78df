import Foundation
import Testing

/// `transfuse fuse --repair CALIB.h5` (and the `repair:` config key) on the bundled digit ViTs.
@Suite struct RepairCommandTests {
    static func fusedAccuracy(_ extra: [String], folder: TemporaryFolder) throws -> Double {
        let result = try CommandRunner.run([
            "fuse", SampleModels.path("vit-digits-a"), SampleModels.path("vit-digits-b"),
            "--output", folder.file("fused-\(UUID().uuidString).safetensors"), "--eval", SampleModels.path("data/digits-test.h5"), "--json",
        ] + extra)
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let entries = try #require(json["models"] as? [[String: Any]])
        return try #require(entries.first { $0["role"] as? String == "fused" }?["accuracy"] as? Double)
    }

    @Test func repairLiftsTheOneShotAccuracy() throws {
        let folder = try TemporaryFolder()
        let plain = try Self.fusedAccuracy([], folder: folder)
        let repaired = try Self.fusedAccuracy(["--repair", SampleModels.path("data/digits-calib.h5")], folder: folder)
        // Measured on these samples: 22.7 % without data (weights + EMD); with --repair the data-aware
        // defaults (Sinkhorn 0.05, the correction, then the refit) give 95.0 % (72.0 % without the
        // refit; weights + EMD + --repair: 54.4 %).
        #expect(repaired > plain + 0.2, "with --repair \(repaired), without \(plain)")
        // The config key takes --data's file.
        let config = folder.file("repair.yaml")
        try "fusion:\n  repair: true\n".write(toFile: config, atomically: true, encoding: .utf8)
        let keyed = try Self.fusedAccuracy(["--config", config, "--data", SampleModels.path("data/digits-calib.h5")], folder: folder)
        #expect(abs(keyed - repaired) < 1e-9, "repair: true with --data \(keyed), --repair \(repaired)")
    }

    /// `--no-repair --no-refit` turn off the ViT data default's correction and refit, leaving its
    /// Sinkhorn 0.05 maps: the same model as asking for those maps without data.
    @Test func noRepairLeavesTheDataDefaultsMaps() throws {
        let folder = try TemporaryFolder()
        let calib = SampleModels.path("data/digits-calib.h5")
        let off = try Self.fusedAccuracy(["--data", calib, "--no-repair", "--no-refit"], folder: folder)
        let sinkhorn = try Self.fusedAccuracy(["--solver", "sinkhorn", "--reg", "0.05"], folder: folder)
        #expect(off == sinkhorn)
        let conflict = try CommandRunner.run(["fuse", SampleModels.path("vit-digits-a"), SampleModels.path("vit-digits-b"),
                                              "--repair", calib, "--no-repair", "--output", folder.file("never.safetensors")])
        #expect(conflict.status != 0)
        #expect(conflict.stderr.contains("--no-repair"), "\(conflict.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.file("never.safetensors")))
    }

    /// BERT with data: the paper's setting (activations, Sinkhorn 0.08) then the correction of the
    /// MLP and attention outputs; `--repair FILE` alone is data enough (its file gives the
    /// activations). Measured: 5.681 nats against vanilla's 5.990.
    @Test func bertDataDefaultsAlignActivationsAndRepair() throws {
        let folder = try TemporaryFolder()
        let calib = SampleModels.path("data/bert-calib.h5")
        var losses: [Double] = []
        for (k, flag) in ["--data", "--repair"].enumerated() {
            let result = try CommandRunner.run([
                "fuse", SampleModels.path("bert-mlm-a"), SampleModels.path("bert-mlm-b"), flag, calib,
                "--output", folder.file("fused-\(k).safetensors"), "--eval", SampleModels.path("data/bert-test.h5"), "--json",
            ])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("activations of model 1"), "\(result.stderr)")
            #expect(result.stderr.contains("repair: encoder.layer.0.attention.output.dense"), "\(result.stderr)")
            #expect(!result.stderr.contains("repair: encoder.layer.0.output.dense"), "the stream is not a BERT default site")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            let entries = try #require(json["models"] as? [[String: Any]])
            let loss = { (role: String) in entries.first { $0["role"] as? String == role }?["loss"] as? Double }
            let fused = try #require(loss("fused")), vanilla = try #require(loss("vanilla"))
            #expect(fused < vanilla - 0.2, "\(flag): fused \(fused), vanilla \(vanilla)")
            losses.append(fused)
        }
        #expect(losses[0] == losses[1])
        // A calibration file of another task is refused before any activation is captured.
        let wrong = SampleModels.path("data/digits-calib.h5")
        let refused = try CommandRunner.run(["fuse", SampleModels.path("bert-mlm-a"), SampleModels.path("bert-mlm-b"),
                                             "--repair", wrong, "--output", folder.file("never.safetensors")])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains(wrong) && refused.stderr.contains("input_ids"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("activations of model"), "activations captured before the refusal: \(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.file("never.safetensors")))
    }

    @Test func repairKeyWithoutCalibrationDataIsAUsageError() throws {
        let folder = try TemporaryFolder()
        let config = folder.file("repair.yaml")
        try "fusion:\n  repair: true\n".write(toFile: config, atomically: true, encoding: .utf8)
        let result = try CommandRunner.run(["fuse", SampleModels.path("vit-digits-a"), SampleModels.path("vit-digits-b"),
                                            "--config", config, "--output", folder.file("fused.safetensors")])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--repair CALIB.h5") && result.stderr.contains("--data"), "\(result.stderr)")
        #expect(folder.contents == ["repair.yaml"])
    }

    @Test func calibrationOfAnotherTaskIsRefusedBeforeAnyWork() throws {
        let folder = try TemporaryFolder()
        let calibration = SampleModels.path("data/bert-calib.h5")
        let result = try CommandRunner.run(["fuse", SampleModels.path("vit-digits-a"), SampleModels.path("vit-digits-b"),
                                            "--repair", calibration, "--output", folder.file("fused.safetensors")])
        #expect(result.status == 1)
        #expect(result.stderr.contains(calibration) && result.stderr.contains("vit-digits-a"), "\(result.stderr)")
        #expect(!result.stderr.contains("aligning"), "fusion started before the refusal: \(result.stderr)")
        #expect(folder.contents.isEmpty)
    }
}
