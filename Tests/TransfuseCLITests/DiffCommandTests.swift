import Checkpoints
import Foundation
import Testing
import WeightStore

@Suite struct DiffCommandTests {
    func write(_ store: WeightStore, _ path: String) throws { try Checkpoint.write(store, to: path) }

    @Test func reportsEveryKindOfDifference() throws {
        let folder = try TemporaryFolder()
        var changed = try SampleStores.mixed()
        changed.remove("scale")
        changed.set(try Tensor.fromFloats(name: "encoder.layer.0.dense.bias", shape: [3], values: [0.5, -0.5, 1.25], dtype: .f16))
        changed.set(try Tensor.fromFloats(name: "embeddings.position_ids", shape: [4], values: [0, 1, 2, 3]))
        try changed.append(try Tensor.fromFloats(name: "extra", shape: [1], values: [1]))
        try write(SampleStores.mixed(), folder.file("a.safetensors"))
        try write(changed, folder.file("b.h5"))
        let result = try CommandRunner.run(["diff", folder.file("a.safetensors"), folder.file("b.h5"), "--json"])
        #expect(result.status == 1)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["onlyInA"] as? [String] == ["scale"])
        #expect(json["onlyInB"] as? [String] == ["extra"])
        #expect((json["mismatched"] as? [[String: Any]])?.first?["name"] as? String == "embeddings.position_ids")
        let compared = try #require(json["compared"] as? [[String: Any]])
        let bias = try #require(compared.first { $0["name"] as? String == "encoder.layer.0.dense.bias" })
        #expect(abs((bias["maxAbs"] as? Double ?? 0) - 0.25) < 1e-12)
        #expect(abs((bias["maxRel"] as? Double ?? 0) - 0.25 / 1.25) < 1e-12)
        #expect(json["equal"] as? Bool == false)
    }

    @Test func atolDecidesEquality() throws {
        let folder = try TemporaryFolder()
        let a = try WeightStore(tensors: [Tensor.fromFloats(name: "w", shape: [2], values: [1, 2])])
        let b = try WeightStore(tensors: [Tensor.fromFloats(name: "w", shape: [2], values: [1, 2.001])])
        try write(a, folder.file("a.safetensors"))
        try write(b, folder.file("b.safetensors"))
        #expect(try CommandRunner.run(["diff", folder.file("a.safetensors"), folder.file("b.safetensors")]).status == 1)
        #expect(try CommandRunner.run(["diff", folder.file("a.safetensors"), folder.file("b.safetensors"), "--atol", "0.01"]).status == 0)
    }

    @Test func unreadableFileIsExitTwo() throws {
        let folder = try TemporaryFolder()
        try write(SampleStores.mixed(), folder.file("a.safetensors"))
        try Data("not a checkpoint at all".utf8).write(to: URL(fileURLWithPath: folder.file("b.safetensors")))
        let result = try CommandRunner.run(["diff", folder.file("a.safetensors"), folder.file("b.safetensors")])
        #expect(result.status == 2)
        #expect(result.stderr.contains("b.safetensors"))
    }

    @Test func nanAgainstNaNIsEqualButNotAgainstANumber() throws {
        let folder = try TemporaryFolder()
        let a = try WeightStore(tensors: [Tensor.fromFloats(name: "w", shape: [2], values: [.nan, 1])])
        let b = try WeightStore(tensors: [Tensor.fromFloats(name: "w", shape: [2], values: [Float(bitPattern: 0x7FC0_0001), 1])])
        let c = try WeightStore(tensors: [Tensor.fromFloats(name: "w", shape: [2], values: [0, 1])])
        try write(a, folder.file("a.safetensors"))
        try write(b, folder.file("b.safetensors"))
        try write(c, folder.file("c.safetensors"))
        #expect(try CommandRunner.run(["diff", folder.file("a.safetensors"), folder.file("b.safetensors")]).status == 0)
        #expect(try CommandRunner.run(["diff", folder.file("a.safetensors"), folder.file("c.safetensors"), "--atol", "100"]).status == 1)
    }
}
