import Checkpoints
import Foundation
import Testing
import WeightStore

/// `inspect` and `convert --scheme` on the real all-MiniLM-L6-v2 checkpoint (fetched by `make test`).
@Suite(.enabled(if: ProcessInfo.processInfo.environment["TRANSFUSE_MINILM_DIR"] != nil))
struct SchemeCommandTests {
    var model: String { (ProcessInfo.processInfo.environment["TRANSFUSE_MINILM_DIR"] ?? "") + "/model.safetensors" }

    @Test func inspectDetectsSchemeAndArchitecture() throws {
        let result = try CommandRunner.run(["inspect", model, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["scheme"] as? String == "hf-bert")
        let summary = try #require(json["architecture"] as? [String: Any])
        let architecture = try #require(summary["architecture"] as? [String: Any])
        #expect(architecture["family"] as? String == "bert")
        #expect(architecture["layers"] as? Int == 6)
        #expect(architecture["hidden"] as? Int == 384)
        #expect(architecture["heads"] as? Int == 12)
        #expect(architecture["intermediate"] as? Int == 1536)
        #expect(architecture["vocab"] as? Int == 30522)
    }

    @Test func layoutPrintsTheCanonicalTree() throws {
        let result = try CommandRunner.run(["inspect", model, "--layout"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("canonical layout:"))
        #expect(result.stdout.contains("encoder.layer"))
    }

    @Test(arguments: ["tf-bert", "canonical"])
    func convertsToASchemeAndBackExactly(scheme: String) throws {
        let folder = try TemporaryFolder()
        let there = folder.file("\(scheme).safetensors")
        let converted = try CommandRunner.run(["convert", model, there, "--scheme", scheme])
        #expect(converted.status == 0, "\(converted.stderr)")
        let renamed = try Checkpoint.read(there)
        if scheme == "tf-bert" {
            #expect(renamed.names.contains("bert/encoder/layer_0/attention/self/query/kernel"))
        }
        let back = folder.file("back.safetensors")
        #expect(try CommandRunner.run(["convert", there, back, "--scheme", "hf-bert"]).status == 0)
        let diff = try CommandRunner.run(["diff", model, back])
        #expect(diff.status == 0, "\(diff.stdout)")
        // Same names (the order follows the canonical layout: embeddings, then layer by layer).
        let names = try Checkpoint.read(back).names
        #expect(names.sorted() == (try Checkpoint.read(model).names.sorted()))
        let layerOf = names.compactMap { name in name.split(separator: ".").dropFirst(2).first.flatMap { Int($0) } }
        #expect(layerOf == layerOf.sorted(), "tensors are grouped layer by layer")
    }

    @Test func unknownSchemeIsAClearError() throws {
        let folder = try TemporaryFolder()
        let result = try CommandRunner.run(["convert", model, folder.file("x.safetensors"), "--scheme", "no-such-scheme"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("no-such-scheme"))
        #expect(folder.contents.isEmpty)
    }
}

@Suite struct SchemeNotDetectedTests {
    @Test func inspectStillWorksForForeignCheckpoints() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("model.safetensors")
        try Checkpoint.write(SampleStores.mixed(), to: path)
        let result = try CommandRunner.run(["inspect", path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("scheme: none detected"))
        let layout = try CommandRunner.run(["inspect", path, "--layout"])
        #expect(layout.status == 1)
    }
}
