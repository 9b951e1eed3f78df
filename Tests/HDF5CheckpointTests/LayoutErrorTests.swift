import Foundation
import HDF5Checkpoint
import HDF5Kit
import Testing
import TestSupport
import WeightStore

/// Malformed canonical files and unsupported datasets give errors naming what is wrong.
@Suite("Layout errors")
struct LayoutErrorTests {
    /// Writes a canonical file of `store`, lets `edit` change it with HDF5Kit, then reads it.
    private func readEdited(_ store: WeightStore, _ edit: (HDF5Group) throws -> Void) throws -> (String, Result<WeightStore, Error>) {
        let folder = try temporaryFolder()
        let path = folder.appendingPathComponent("edited.h5").path
        try HDF5CheckpointWriter.write(store, to: path)
        try edit(try HDF5File.openReadWrite(path).root())
        return (path, Result { try HDF5CheckpointReader.read(path: path) })
    }

    private func store() throws -> WeightStore {
        var random = SplitMix64(seed: 2)
        return try WeightStore(tensors: [TestStores.tensor("a.w", .f32, [2], &random), TestStores.tensor("b", .i32, [3], &random)])
    }

    private func message(_ result: Result<WeightStore, Error>) -> String {
        if case .failure(let error) = result { return "\(error)" }
        return "no error"
    }

    @Test("A name listed twice, a listed name without dataset, an unlisted dataset")
    func inconsistentOrder() throws {
        let cases: [(String, String)] = [
            (#"["a.w","b","a.w"]"#, "listed twice"),
            (#"["a.w","b","c"]"#, "\"c\" is listed but has no dataset"),
            (#"["a.w"]"#, "dataset /b is not listed"),
            (#"{"a": 1}"#, "not a JSON array"),
        ]
        for (order, expected) in cases {
            let (path, result) = try readEdited(try store()) { root in
                try root.writeString(order, attribute: "transfuse_tensor_order")
            }
            #expect(message(result).contains(expected), "\(message(result))")
            #expect(message(result).contains(path))
        }
    }

    @Test("A newer layout version, a bad dtype attribute, a dtype that disagrees with the data")
    func badAttributes() throws {
        let (_, newer) = try readEdited(try store()) { try $0.writeInt(2, attribute: "transfuse_layout_version") }
        #expect(message(newer).contains("version 2 is not supported"))
        let (_, unknown) = try readEdited(try store()) { try $0.openDataset("b").writeString("Q7", attribute: "dtype") }
        #expect(message(unknown).contains("/b") && message(unknown).contains("Q7"))
        let (_, mismatch) = try readEdited(try store()) { try $0.openDataset("b").writeString("F32", attribute: "dtype") }
        #expect(message(mismatch).contains("says F32") && message(mismatch).contains("H5T_INTEGER size 4"))
        let (_, metadata) = try readEdited(try store()) { try $0.writeString("[1]", attribute: "transfuse_metadata") }
        #expect(message(metadata).contains("transfuse_metadata"))
    }

    @Test("An unsupported dataset type names the dataset and its HDF5 type")
    func unsupportedType() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("opaque.h5").path
        let file = try HDF5File.create(path, trackCreationOrder: false)
        let group = try file.root().createGroup("g", trackCreationOrder: false)
        let dataset = try group.createDataset("weird", type: HDF5Datatype.opaque(size: 3, tag: "three"), shape: [2])
        try Data(count: 6).withUnsafeBytes { try dataset.write($0, memoryType: HDF5Datatype.opaque(size: 3, tag: "three")) }
        try file.flush()
        #expect {
            try HDF5CheckpointReader.read(path: path)
        } throws: { error in
            let text = "\(error)"
            return text.contains(path) && text.contains("/g/weird") && text.contains("H5T_OPAQUE size 3")
        }
    }
}
