import Foundation

/// An ordered set of uniquely named tensors plus string metadata and an optional architecture
/// config (the text of a Hugging Face `config.json`, or the config stored in the file).
///
/// Every reader produces a `WeightStore` and every writer consumes one, so conversions are
/// `read → store → write`. Tensor bytes stay lazy (see `TensorSource`) until a writer or a
/// computation asks for them.
public struct WeightStore: Sendable {
    /// Tensors in file order.
    public private(set) var tensors: [Tensor] = []
    private var positions: [String: Int] = [:]
    /// Free-form string metadata (safetensors `__metadata__`, HDF5 attributes).
    public var metadata: [String: String]
    /// The architecture config as JSON text, if any.
    public var configJSON: String?

    public init(tensors: [Tensor] = [], metadata: [String: String] = [:], configJSON: String? = nil) throws {
        self.metadata = metadata
        self.configJSON = configJSON
        for tensor in tensors { try append(tensor) }
    }

    /// Tensor count.
    public var count: Int { tensors.count }
    /// Tensor names in order.
    public var names: [String] { tensors.map(\.name) }
    /// Total elements over all tensors (integer buffers included).
    public var parameterCount: Int { tensors.reduce(0) { $0 + $1.elementCount } }
    /// Total bytes of tensor data.
    public var byteCount: Int { tensors.reduce(0) { $0 + $1.byteCount } }

    /// The tensor called `name`, if present.
    public subscript(name: String) -> Tensor? {
        positions[name].map { tensors[$0] }
    }

    /// The tensor called `name`, or `StoreError.missingTensor`.
    public func tensor(_ name: String) throws -> Tensor {
        guard let tensor = self[name] else { throw StoreError.missingTensor(name) }
        return tensor
    }

    public func contains(_ name: String) -> Bool { positions[name] != nil }

    /// Appends a tensor; names must be unique.
    public mutating func append(_ tensor: Tensor) throws {
        guard positions[tensor.name] == nil else { throw StoreError.duplicateTensor(tensor.name) }
        positions[tensor.name] = tensors.count
        tensors.append(tensor)
    }

    /// Replaces the tensor of the same name, keeping its position, or appends it.
    public mutating func set(_ tensor: Tensor) {
        if let index = positions[tensor.name] {
            tensors[index] = tensor
        } else {
            positions[tensor.name] = tensors.count
            tensors.append(tensor)
        }
    }

    /// Removes the tensor called `name` if present.
    public mutating func remove(_ name: String) {
        guard let index = positions.removeValue(forKey: name) else { return }
        tensors.remove(at: index)
        for i in index..<tensors.count { positions[tensors[i].name] = i }
    }

    /// A store with the same metadata and config and `transform` applied to every tensor.
    public func mapTensors(_ transform: (Tensor) throws -> Tensor) throws -> WeightStore {
        try WeightStore(tensors: tensors.map(transform), metadata: metadata, configJSON: configJSON)
    }
}
