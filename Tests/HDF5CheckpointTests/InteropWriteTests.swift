import Foundation
@testable import HDF5Checkpoint
import Testing
import TestSupport
import WeightStore

/// Writes Transfuse canonical files plus manifests for Fixtures/check_written.py, which
/// `make test` runs with h5py: the folder comes from TRANSFUSE_INTEROP_DIR.
@Suite("Files for the h5py checker")
struct InteropWriteTests {
    struct Entry: Encodable { let name: String; let dtype: String; let shape: [Int]; let sha256: String }
    struct Manifest: Encodable { let tensors: [Entry]; let metadata: [String: String]; let config: String? }

    /// Writes `hdf5-written.h5` (tensors from a memory-mapped file, so their bytes are
    /// copied file to file), `hdf5-written-memory.h5` (the same tensors from memory, written
    /// through HDF5), `hdf5-written-gzip.h5` and `hdf5-written.manifest.json` into `folder`.
    /// Check each with:
    /// `python check_written.py FOLDER/hdf5-written.h5 FOLDER/hdf5-written.manifest.json`.
    static func writeInteropFiles(to folder: URL) throws {
        // h5py cannot read the opaque 8-bit float tensors as numbers but reads their bytes;
        // names with NUL cannot be HDF5 names even escaped in h5py's API, so leave them out.
        var store = try TestStores.everything()
        store.remove("nul\u{0}byte")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let scratch = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let mapped = try FastPathTests.mapped(store, in: scratch).store
        let fast = try HDF5CheckpointWriter.writeReporting(mapped, to: folder.appendingPathComponent("hdf5-written.h5").path)
        #expect(fast.copiedFromFiles == store.tensors.filter { $0.byteCount > 0 }.count)
        try HDF5CheckpointWriter.write(store, to: folder.appendingPathComponent("hdf5-written-memory.h5").path)
        try HDF5CheckpointWriter.write(store, to: folder.appendingPathComponent("hdf5-written-gzip.h5").path, compress: true)
        let entries = try store.tensors.map { tensor in
            Entry(name: tensor.name, dtype: tensor.dtype.rawValue, shape: tensor.shape, sha256: SHA256.hex(try tensor.source.data()))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(Manifest(tensors: entries, metadata: store.metadata, config: store.configJSON))
            .write(to: folder.appendingPathComponent("hdf5-written.manifest.json"))
    }

    @Test("Write the interop files when TRANSFUSE_INTEROP_DIR is set")
    func writeForChecker() throws {
        guard let folder = ProcessInfo.processInfo.environment["TRANSFUSE_INTEROP_DIR"], !folder.isEmpty else { return }
        let url = URL(fileURLWithPath: folder)
        try Self.writeInteropFiles(to: url)
        #expect(FileManager.default.fileExists(atPath: url.appendingPathComponent("hdf5-written.h5").path))
    }
}
