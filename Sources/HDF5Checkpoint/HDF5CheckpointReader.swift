import Foundation
import HDF5Kit
import WeightStore

/// Reads checkpoints from HDF5 files in any `HDF5Layout`. Headers (names, dtypes, shapes,
/// metadata, config) are read eagerly; tensor bytes are read on demand by each tensor's
/// source, which keeps the file open until the last source is released.
public enum HDF5CheckpointReader {
    /// The layout of the file at `path` (see `HDF5Layout` for the rules, checked in this
    /// order: Transfuse attribute, Keras `layer_names`, datasets only at the root, Keras 3
    /// `…/vars/<i>` paths, otherwise nested groups).
    /// - Throws: `HDF5CheckpointError` (missing, not HDF5, truncated or corrupt).
    public static func detectLayout(path: String) throws -> HDF5Layout {
        let file = try open(path)
        return try translatingErrors { try detect(try file.root()).layout }
    }

    /// Reads the checkpoint at `path` (see `readWithLayout`).
    public static func read(path: String) throws -> WeightStore {
        try readWithLayout(path: path).store
    }

    /// Reads the checkpoint at `path` and reports which layout it had.
    ///
    /// Names and order per layout: Transfuse — as written; flat and nested — the dataset
    /// path with `/` replaced by `.`, in creation order where the file tracks it, otherwise
    /// natural name order per group; legacy Keras — the `weight_names`, layer by layer in
    /// `layer_names` order; Keras 3 — the dataset path (`layers/dense/vars/0`). Only the
    /// Transfuse layout carries metadata and a config.
    /// - Throws: `HDF5CheckpointError`.
    public static func readWithLayout(path: String) throws -> (store: WeightStore, layout: HDF5Layout) {
        let file = try open(path)
        return try translatingErrors {
            let root = try file.root()
            let (layout, walk) = try detect(root)
            switch layout {
            case .transfuse:
                return (try readCanonical(root), layout)
            case .kerasLegacy:
                return (try readKerasLegacy(root), layout)
            case .flat, .nested:
                return (try readPaths(root, walk: walk ?? DatasetWalk.datasets(under: root), separator: "."), layout)
            case .keras3:
                return (try readPaths(root, walk: walk ?? DatasetWalk.datasets(under: root), separator: "/"), layout)
            }
        }
    }

    // MARK: - Opening and detecting

    private static func open(_ path: String) throws -> HDF5File {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw HDF5CheckpointError.missingFile(path: path)
        }
        guard !isDirectory.boolValue else { throw HDF5CheckpointError.notAFile(path: path) }
        guard HDF5File.isHDF5(path: path) else { throw HDF5CheckpointError.notHDF5(path: path) }
        do {
            return try HDF5File.openReadOnly(path)
        } catch let error as HDF5Error {
            throw HDF5CheckpointError.unreadable(error)
        }
    }

    /// HDF5 failures while reading mean the file is damaged: report them as `.unreadable`.
    private static func translatingErrors<R>(_ body: () throws -> R) throws -> R {
        do {
            return try body()
        } catch let error as HDF5Error {
            throw HDF5CheckpointError.unreadable(error)
        }
    }

    /// The layout, plus the dataset walk when detection needed it.
    private static func detect(_ root: HDF5Group) throws -> (layout: HDF5Layout, walk: [[String]]?) {
        if try root.hasAttribute("transfuse_layout_version") { return (.transfuse, nil) }
        if try kerasContainer(root) != nil { return (.kerasLegacy, nil) }
        let walk = try DatasetWalk.datasets(under: root)
        if walk.allSatisfy({ $0.count == 1 }) { return (.flat, walk) }
        let keras3 = walk.allSatisfy { parts in
            parts.count >= 2 && parts[parts.count - 2] == "vars" && Int(parts[parts.count - 1]) != nil
        }
        return (keras3 ? .keras3 : .nested, walk)
    }

    /// The group holding legacy Keras `layer_names`: the root, or `/model_weights` of a
    /// whole-model save.
    static func kerasContainer(_ root: HDF5Group) throws -> HDF5Group? {
        if try hasSplitAttribute(root, "layer_names") { return root }
        guard try root.hasLink("model_weights"),
              let links = try? root.links().links,
              links.contains(where: { $0.name == "model_weights" && $0.kind == .group }) else { return nil }
        let group = try root.openGroup("model_weights")
        return try hasSplitAttribute(group, "layer_names") ? group : nil
    }

    static func hasSplitAttribute(_ node: HDF5Node, _ name: String) throws -> Bool {
        try node.hasAttribute(name) || node.hasAttribute(name + "0")
    }

    // MARK: - Building tensors

    /// A lazy tensor `name` over the dataset at the absolute `datasetPath`.
    static func tensor(named name: String, at datasetPath: String, in root: HDF5Group, strictDType: Bool,
                       keras: Bool = false) throws -> Tensor {
        let path = root.file.path
        let dataset = try root.openDataset(datasetPath)
        let resolved = try ResolvedType.resolve(dataset, strictAttribute: strictDType, untaggedOpaqueIsBF16: keras)
        let space = try dataset.dataspace()
        if space.isNull {
            throw HDF5CheckpointError.unsupportedType(path: path, dataset: datasetPath, type: "with a null dataspace (h5py.Empty)")
        }
        let shape = try space.dimensions()
        guard let count = Shape.elementCount(shape), let bytes = resolved.dtype.byteCount(elements: count) else {
            throw HDF5CheckpointError.unsupportedType(path: path, dataset: datasetPath, type: "of shape \(Shape.describe(shape)) (too many elements)")
        }
        let extent = try HDF5TensorSource.extent(of: dataset, memoryType: resolved.memoryType, byteCount: bytes)
        let source = HDF5TensorSource(file: root.file, datasetPath: datasetPath, memoryType: resolved.memoryType,
                                      byteCount: bytes, fileExtent: extent)
        return try Tensor(name: name, dtype: resolved.dtype, shape: shape, source: source)
    }

    /// Appends `tensor` read from `datasetPath`, reporting a duplicate name with both paths.
    ///
    /// With `tiedCopies`, a second dataset of the same name whose dtype, shape and bytes equal
    /// the first is a tied weight listed by two layers (Keras saves a `TFBertForMaskedLM`'s
    /// word embeddings under both `bert` and `mlm___cls`): the first is kept, the copy skipped.
    static func append(_ tensor: Tensor, from datasetPath: String, to store: inout WeightStore,
                       paths: inout [String: String], file: String, tiedCopies: Bool = false) throws {
        if let first = paths[tensor.name] {
            if tiedCopies, let kept = store[tensor.name], try isSameTensor(kept, tensor) { return }
            throw HDF5CheckpointError.duplicateName(path: file, name: tensor.name, first: first, second: datasetPath)
        }
        paths[tensor.name] = datasetPath
        try store.append(tensor)
    }

    private static func isSameTensor(_ a: Tensor, _ b: Tensor) throws -> Bool {
        guard a.dtype == b.dtype, a.shape == b.shape else { return false }
        defer { b.source.release() }
        return try a.withBytes { left in try b.withBytes { right in left.elementsEqual(right) } }
    }

    // MARK: - Flat, nested and Keras 3 layouts

    /// One tensor per dataset, named by its path components joined with `separator`.
    private static func readPaths(_ root: HDF5Group, walk: [[String]], separator: String) throws -> WeightStore {
        var store = try WeightStore()
        var paths: [String: String] = [:]
        for parts in walk {
            let datasetPath = "/" + parts.joined(separator: "/")
            let tensor = try tensor(named: parts.joined(separator: separator), at: datasetPath, in: root,
                                    strictDType: false, keras: separator == "/")
            try append(tensor, from: datasetPath, to: &store, paths: &paths, file: root.file.path)
        }
        return store
    }
}
