import Checkpoints
import Foundation
import Testing
import WeightStore

@Suite struct InspectCommandTests {
    @Test func jsonListsTensorsTotalsMetadataAndConfig() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("model.safetensors")
        try Checkpoint.write(SampleStores.mixed(), to: path)
        let result = try CommandRunner.run(["inspect", path, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let tensors = try #require(json["tensors"] as? [[String: Any]])
        #expect(tensors.map { $0["name"] as? String } == [
            "encoder.layer.0.dense.weight", "encoder.layer.0.dense.bias", "embeddings.position_ids", "scale"])
        #expect(tensors.map { $0["dtype"] as? String } == ["F32", "F16", "I64", "BF16"])
        #expect(tensors.first?["shape"] as? [Int] == [3, 4])
        #expect(json["parameters"] as? Int == 12 + 3 + 4 + 1)
        #expect(json["bytes"] as? Int == 48 + 6 + 32 + 2)
        #expect((json["metadata"] as? [String: String])?["origin"] == "transfuse-tests")
        #expect((json["config"] as? [String: Any])?["hidden_size"] as? Int == 4)
        for key in ["scheme", "architecture"] {
            #expect(json.keys.contains(key), "inspect --json must always carry '\(key)'")
        }
    }

    @Test func filterKeepsTotals() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("model.h5")
        try Checkpoint.write(SampleStores.mixed(), to: path)
        let result = try CommandRunner.run(["inspect", path, "--filter", "encoder.*"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("encoder.layer.0.dense.weight"))
        #expect(!result.stdout.contains("position_ids"))
        #expect(result.stdout.contains("shown: 2 of 4 tensors"))
        #expect(result.stdout.contains("parameters: 20"))
    }

    @Test func missingFileIsExitOneNamingIt() throws {
        let result = try CommandRunner.run(["inspect", "/nonexistent/model.safetensors"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("/nonexistent/model.safetensors"))
    }

    @Test func badUsageIsTheParsersCode() throws {
        let result = try CommandRunner.run(["inspect"])
        #expect(result.status == 64)
    }

    /// The real public checkpoint (fetched by `make test` into .cache/; see the Makefile).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["TRANSFUSE_MINILM_DIR"] != nil))
    func inspectsAllMiniLM() throws {
        let folder = try #require(ProcessInfo.processInfo.environment["TRANSFUSE_MINILM_DIR"])
        let result = try CommandRunner.run(["inspect", folder + "/model.safetensors", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect((json["tensors"] as? [Any])?.count == 104)
        #expect(json["parameters"] as? Int == 22_713_728)
        #expect((json["config"] as? [String: Any])?["hidden_size"] as? Int == 384)
    }
}
