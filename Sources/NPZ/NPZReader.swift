import Foundation
import WeightStore
import ZIPFoundation

/// Reads NumPy `.npz` archives (a zip of `.npy` arrays, stored or deflated), as the original
/// JAX/Flax ViT checkpoints ship them (`numpy.savez` of a flat dict with `/`-separated keys).
///
/// Each entry `NAME.npy` becomes the tensor `NAME`, in archive order; bytes are read into
/// memory. Supported element types are listed in `NPZError.unsupportedDType`.
public enum NPZReader {
    /// Reads every array of the archive at `path`.
    /// - Throws: `NPZError` naming the archive and the array.
    public static func read(path: String) throws -> WeightStore {
        let archive: Archive
        do {
            archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        } catch {
            throw NPZError.unreadable(path: path, reason: "\(error)")
        }
        var store = try WeightStore()
        for entry in archive where entry.type == .file {
            let name = entry.path.hasSuffix(".npy") ? String(entry.path.dropLast(4)) : entry.path
            var data = Data()
            data.reserveCapacity(Int(clamping: entry.uncompressedSize))
            do {
                _ = try archive.extract(entry, consumer: { data.append($0) })
            } catch {
                throw NPZError.unreadable(path: path, reason: "entry '\(entry.path)': \(error)")
            }
            let array = try NPYArray(data: data, path: path, name: name)
            let tensor = try Tensor(name: name, dtype: array.dtype, shape: array.shape, bytes: array.bytes)
            guard !store.contains(name) else { throw NPZError.duplicateArray(path: path, array: name) }
            try store.append(tensor)
        }
        return store
    }
}
