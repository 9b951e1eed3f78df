import Checkpoints
import Foundation
import Testing

/// `transfuse fuse` on the bundled digit ViTs, run as a user would.
@Suite struct FuseCommandTests {
    @Test func fusesEvaluatesAndSavesMaps() throws {
        let folder = try TemporaryFolder()
        let output = folder.file("fused")
        let result = try CommandRunner.run([
            "fuse", SampleModels.path("vit-digits-a"), SampleModels.path("vit-digits-b"),
            "--output", output, "--eval", SampleModels.path("data/digits-test.h5"),
            "--save-maps", folder.file("maps.safetensors"), "--plot-maps", folder.file("maps"), "--json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        // Shaped like `eval --json`, with a role per entry.
        #expect(json["task"] as? String == "image-classification")
        let entries = try #require(json["models"] as? [[String: Any]])
        #expect(entries.allSatisfy { $0["path"] is String && $0["samples"] as? Int == 397 })
        func accuracy(_ role: String) -> Double? {
            entries.first { $0["role"] as? String == role }?["accuracy"] as? Double
        }
        let vanilla = try #require(accuracy("vanilla"))
        let fused = try #require(accuracy("fused"))
        #expect(entries.filter { $0["role"] as? String == "parent" }.count == 2)
        // Measured: vanilla 9.8%, OT fusion (defaults) 22.7% on these samples.
        #expect(fused > vanilla + 0.08, "fused \(fused) vs vanilla \(vanilla)")
        // The result is a Hugging Face folder in the anchor's scheme, readable by every command.
        let inspect = try CommandRunner.run(["inspect", output, "--json"])
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [String: Any])
        #expect(summary["scheme"] as? String == "hf-vit")
        #expect((summary["tensors"] as? [Any])?.count == 72)
        #expect(FileManager.default.fileExists(atPath: output + "/config.json"))
        #expect(try Checkpoint.read(folder.file("maps.safetensors")).count > 10)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.file("maps")).contains { $0.hasSuffix(".png") })
    }

    @Test("a ViT fusion without calibration inputs hints at --data and --synthetic-data; with data, under compat: reference and for BERT it does not")
    func calibrationHint() throws {
        let folder = try TemporaryFolder()
        let vit = [SampleModels.path("vit-digits-a"), SampleModels.path("vit-digits-b")]
        func stderr(_ args: [String]) throws -> String {
            let result = try CommandRunner.run(["fuse"] + args + ["--output", folder.file("f.safetensors"), "--force"])
            #expect(result.status == 0, "\(result.stderr)")
            return result.stderr
        }
        #expect(try stderr(vit).contains("hint: calibration inputs"))
        #expect(try !stderr(vit + ["--data", SampleModels.path("data/digits-calib.h5")]).contains("hint:"))
        #expect(try !stderr(vit + ["--config", SampleModels.path("formats/fuse-reference.yaml")]).contains("hint:"))
        #expect(try !stderr([SampleModels.path("bert-mlm-a"), SampleModels.path("bert-mlm-b")]).contains("hint:"))
    }

    @Test func vanillaOfAModelWithItselfIsTheModel() throws {
        let folder = try TemporaryFolder()
        let a = SampleModels.path("vit-digits-a")
        let result = try CommandRunner.run(["fuse", a, a, "--method", "vanilla", "--output", folder.file("same.safetensors")])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try CommandRunner.run(["diff", a, folder.file("same.safetensors"), "--atol", "1e-7"]).status == 0)
    }

    @Test func mismatchedFamiliesAreRefusedBeforeAnyWork() throws {
        let folder = try TemporaryFolder()
        let result = try CommandRunner.run(["fuse", SampleModels.path("vit-digits-a"), SampleModels.path("bert-mlm-a"),
                                            "--output", folder.file("fused.safetensors")])
        #expect(result.status == 1)
        #expect(result.stderr.contains("bert-mlm-a") && result.stderr.contains("vit-digits-a"), "\(result.stderr)")
        #expect(folder.contents.isEmpty)
    }

    @Test func typoInAConfigKeyIsAUsageError() throws {
        let folder = try TemporaryFolder()
        let config = folder.file("fusion.yaml")
        try "fusion:\n  type: wts\n  resid_polcy: mean\n".write(toFile: config, atomically: true, encoding: .utf8)
        let result = try CommandRunner.run(["fuse", SampleModels.path("vit-digits-a"), SampleModels.path("vit-digits-b"),
                                            "--config", config, "--output", folder.file("fused.safetensors")])
        #expect(result.status != 0)
        #expect(result.stderr.contains("resid_polcy"), "\(result.stderr)")
        #expect(folder.contents == ["fusion.yaml"])
    }
}
