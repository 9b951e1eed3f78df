import Checkpoints
import Foundation
import Testing
import WeightStore

@Suite struct ConvertCommandTests {
    @Test(arguments: ["model.h5", "model.hdf5", "model.safetensors", "folder"])
    func roundTripIsExact(output: String) throws {
        let folder = try TemporaryFolder()
        let source = folder.file("source.safetensors")
        try Checkpoint.write(SampleStores.mixed(), to: source)
        let converted = try CommandRunner.run(["convert", source, folder.file(output)])
        #expect(converted.status == 0, "\(converted.stderr)")
        let back = folder.file("back.safetensors")
        #expect(try CommandRunner.run(["convert", folder.file(output), back]).status == 0)
        let diff = try CommandRunner.run(["diff", source, back])
        #expect(diff.status == 0, "\(diff.stdout)")
        let original = try Checkpoint.read(source)
        let again = try Checkpoint.read(back)
        #expect(again.names == original.names)
        #expect(again.metadata == original.metadata)
        #expect(again.configJSON != nil)
    }

    @Test func dtypeCastsFloatTensorsOnly() throws {
        let folder = try TemporaryFolder()
        let source = folder.file("source.safetensors")
        try Checkpoint.write(SampleStores.mixed(), to: source)
        let result = try CommandRunner.run(["convert", source, folder.file("half.safetensors"), "--dtype", "bf16"])
        #expect(result.status == 0, "\(result.stderr)")
        let half = try Checkpoint.read(folder.file("half.safetensors"))
        #expect(half.tensors.map(\.dtype) == [.bf16, .bf16, .i64, .bf16])
        #expect(try half.tensor("encoder.layer.0.dense.weight").floats()
                == SampleStores.mixed().tensor("encoder.layer.0.dense.weight").floats())
    }

    @Test func refusesToOverwriteWithoutForce() throws {
        let folder = try TemporaryFolder()
        let source = folder.file("source.safetensors")
        try Checkpoint.write(SampleStores.mixed(), to: source)
        let target = folder.file("out.h5")
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: target))
        let refused = try CommandRunner.run(["convert", source, target])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains(target) && refused.stderr.contains("--force"))
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "keep me")
        #expect(try CommandRunner.run(["convert", source, target, "--force"]).status == 0)
        #expect(try Checkpoint.read(target).count == 4)
    }

    @Test func truncatedInputLeavesNoOutput() throws {
        let folder = try TemporaryFolder()
        let source = folder.file("source.safetensors")
        try Checkpoint.write(SampleStores.mixed(), to: source)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: source))
        bytes.removeLast(5)
        let broken = folder.file("broken.safetensors")
        try bytes.write(to: URL(fileURLWithPath: broken))
        let result = try CommandRunner.run(["convert", broken, folder.file("out.h5")])
        #expect(result.status == 1)
        #expect(result.stderr.contains("broken.safetensors"))
        #expect(folder.contents == ["broken.safetensors", "source.safetensors"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: broken)) == bytes)
    }

    @Test func shardsIntoAFolderAndReadsBack() throws {
        let folder = try TemporaryFolder()
        let source = folder.file("source.safetensors")
        try Checkpoint.write(SampleStores.mixed(), to: source)
        let result = try CommandRunner.run(["convert", source, folder.file("sharded"), "--shard-size", "50B"])
        #expect(result.status == 0, "\(result.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.file("sharded")).sorted()
        #expect(files.contains("model.safetensors.index.json"))
        #expect(files.filter { $0.hasSuffix(".safetensors") }.count >= 2)
        #expect(try CommandRunner.run(["diff", source, folder.file("sharded")]).status == 0)
    }

    @Test(arguments: [["--dtype", "int8"], ["--shard-size", "lots"]])
    func badOptionsAreUsageErrors(extra: [String]) throws {
        let folder = try TemporaryFolder()
        let result = try CommandRunner.run(["convert", folder.file("a.safetensors"), folder.file("b.h5")] + extra)
        #expect(result.status == 64)
        #expect(folder.contents.isEmpty)
    }

    @Test func unknownOutputExtensionIsAnError() throws {
        let folder = try TemporaryFolder()
        let source = folder.file("source.safetensors")
        try Checkpoint.write(SampleStores.mixed(), to: source)
        let result = try CommandRunner.run(["convert", source, folder.file("out.pt")])
        #expect(result.status == 1)
        #expect(result.stderr.contains("out.pt"))
        #expect(folder.contents == ["source.safetensors"])
    }

    /// safetensors → HDF5 → safetensors on the real all-MiniLM-L6-v2 checkpoint.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["TRANSFUSE_MINILM_DIR"] != nil))
    func miniLMRoundTripsThroughHDF5() throws {
        let model = try #require(ProcessInfo.processInfo.environment["TRANSFUSE_MINILM_DIR"]) + "/model.safetensors"
        let folder = try TemporaryFolder()
        #expect(try CommandRunner.run(["convert", model, folder.file("minilm.h5")]).status == 0)
        #expect(try CommandRunner.run(["convert", folder.file("minilm.h5"), folder.file("back.safetensors")]).status == 0)
        let diff = try CommandRunner.run(["diff", model, folder.file("back.safetensors"), "--json"])
        #expect(diff.status == 0, "\(diff.stdout)")
        let original = try Checkpoint.read(model)
        let back = try Checkpoint.read(folder.file("back.safetensors"))
        #expect(back.names == original.names)
        #expect(back.tensors.map(\.dtype) == original.tensors.map(\.dtype))
        #expect(back.tensors.map(\.shape) == original.tensors.map(\.shape))
    }
}
