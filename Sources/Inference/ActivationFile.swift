import Foundation
import HDF5Kit
import WeightStore

/// Activation files (`transfuse activations`, read by `fuse --activations`): HDF5 with one
/// float32 dataset `[rows, width]` per module, named by canonical module name, in model
/// order, and root attributes describing the capture. Layout: Schemas/ACTIVATIONS.md.
public enum ActivationFile {
    /// The root `format` attribute.
    public static let format = "transfuse-activations/1"

    /// What a file records about its capture (the root attributes).
    public struct Header: Sendable, Equatable {
        public var model: String
        public var family: String
        public var dataset: String
        public var task: String
        public var numSamples: Int
        public var sequenceFilter: String
        public var normalization: String
    }

    /// Captures `model`'s activations on `dataset` and writes them to `path` atomically
    /// (a temporary file renamed when complete), one module at a time.
    /// - Returns: the module names written, in order.
    /// - Throws: `InferenceError` from the capture, `HDF5Error` / `StoreError` from writing.
    @discardableResult
    public static func write(model: TransformerModel, dataset: EvalDataset, source: String,
                             options: ActivationOptions, to path: String, force: Bool = false,
                             progress: ((String) -> Void)? = nil) throws -> [String] {
        var names: [String] = []
        try AtomicOutput.write(to: path, force: force) { temporary in
            let file = try HDF5File.create(temporary)
            let root = try file.root()
            try root.writeString(format, attribute: "format")
            try root.writeString(source, attribute: "model")
            try root.writeString(model.family, attribute: "family")
            try root.writeString(dataset.path, attribute: "dataset")
            try root.writeString(dataset.task.rawValue, attribute: "task")
            try root.writeInt(min(dataset.count, options.numSamples), attribute: "num_samples")
            try root.writeString(options.sequenceFilter.description, attribute: "seq_filter")
            try root.writeString(options.normalization.rawValue, attribute: "normalize")
            let type = try HDF5Datatype.element(.float32)
            try ActivationCapture.capture(model: model, dataset: dataset, source: source, options: options,
                                          progress: progress) { matrix in
                let set = try root.createDataset(matrix.name, type: type, shape: [matrix.rows, matrix.width])
                try matrix.values.withUnsafeBytes { try set.write($0, memoryType: type) }
                names.append(matrix.name)
            }
            try file.flush()
        }
        return names
    }

    /// Reads every module's activations (in file order) and the header.
    /// - Throws: `InferenceError.dataset` for files that are not activation files.
    public static func read(_ path: String) throws -> (header: Header, modules: [ActivationMatrix]) {
        let file: HDF5File
        do { file = try HDF5File.openReadOnly(path) } catch {
            throw InferenceError.dataset(file: path, dataset: "", message: "cannot open as HDF5 (\(error))")
        }
        let root = try file.root()
        guard try root.hasAttribute("format"), try root.readString(attribute: "format") == format else {
            throw InferenceError.dataset(file: path, dataset: "", message: "not a Transfuse activations file (no format attribute '\(format)'); write one with `transfuse activations`")
        }
        let header = Header(model: try root.readString(attribute: "model"), family: try root.readString(attribute: "family"),
                            dataset: try root.readString(attribute: "dataset"), task: try root.readString(attribute: "task"),
                            numSamples: try root.readInt(attribute: "num_samples"),
                            sequenceFilter: try root.readString(attribute: "seq_filter"),
                            normalization: try root.readString(attribute: "normalize"))
        let type = try HDF5Datatype.element(.float32)
        var modules: [ActivationMatrix] = []
        for link in try root.links().links {
            let set = try root.openDataset(link.name)
            let shape = try set.shape()
            guard shape.count == 2 else {
                throw InferenceError.dataset(file: path, dataset: link.name, message: "expected [samples, width], found \(Shape.describe(shape))")
            }
            let data = try set.readBytes(memoryType: type)
            let values = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            modules.append(ActivationMatrix(name: link.name, rows: shape[0], width: shape[1], values: values))
        }
        return (header, modules)
    }
}
