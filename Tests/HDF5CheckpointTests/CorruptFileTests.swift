import Foundation
import HDF5Checkpoint
import Testing
import TestSupport
import WeightStore

/// Damaged and foreign files are refused with a message naming the file, never a crash.
@Suite("Corrupt and foreign files")
struct CorruptFileTests {
    /// A valid canonical file's bytes.
    private static func validFile() throws -> Data {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("valid.h5").path
        try HDF5CheckpointWriter.write(try TestStores.everything(), to: path)
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }

    /// Reads `path` completely (headers and every tensor's bytes).
    private static func readAll(_ path: String) throws {
        let store = try HDF5CheckpointReader.read(path: path)
        for tensor in store.tensors { _ = try tensor.source.data() }
    }

    @Test("A file truncated anywhere is refused with an error naming it")
    func truncated() throws {
        let valid = try Self.validFile()
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var offsets = [0, 1, 7, 8, 64, 100, 512, 1000, 2048, 4096, valid.count / 3, valid.count / 2, valid.count - 100, valid.count - 1]
        offsets += stride(from: 0, to: valid.count, by: max(1, valid.count / 40)).map { $0 }
        for offset in Set(offsets).sorted() where offset < valid.count {
            let path = folder.appendingPathComponent("cut-\(offset).h5").path
            try valid.prefix(offset).write(to: URL(fileURLWithPath: path))
            #expect(throws: HDF5CheckpointError.self, "cut at \(offset)") { try Self.readAll(path) }
            do {
                try Self.readAll(path)
            } catch {
                #expect("\(error)".contains(path), "cut at \(offset): \(error)")
            }
        }
    }

    @Test("Random bytes, an empty file, a text file and a missing file are refused")
    func foreign() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var random = SplitMix64(seed: 11)
        let cases: [(String, Data?)] = [("random.h5", random.bytes(10_000, dtype: .u8)), ("empty.h5", Data()),
                                        ("text.h5", Data("hello, this is not HDF5\n".utf8)), ("missing.h5", nil)]
        for (name, bytes) in cases {
            let path = folder.appendingPathComponent(name).path
            if let bytes { try bytes.write(to: URL(fileURLWithPath: path)) }
            #expect {
                try HDF5CheckpointReader.read(path: path)
            } throws: { error in
                guard let error = error as? HDF5CheckpointError else { return false }
                switch error {
                case .notHDF5(let p), .missingFile(let p): return p == path
                default: return false
                }
            }
        }
    }

    @Test("Random bytes after a valid HDF5 superblock are refused")
    func corruptedBody() throws {
        var valid = try Self.validFile()
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var random = SplitMix64(seed: 5)
        // Overwrite the metadata after the superblock with noise, several patterns.
        for trial in 0..<8 {
            let start = 96 + trial * 200
            let noise = random.bytes(400, dtype: .u8)
            valid.replaceSubrange(start..<(start + 400), with: noise)
            let path = folder.appendingPathComponent("noise-\(trial).h5").path
            try valid.write(to: URL(fileURLWithPath: path))
            // Must not crash; either an error or (if only data bytes were hit) a store.
            do { try Self.readAll(path) } catch { #expect("\(error)".contains(path)) }
        }
    }
}
