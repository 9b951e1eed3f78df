import Foundation
import WeightStore

/// What `transfuse inspect` reports about a store, computed from headers alone.
public struct CheckpointSummary: Encodable, Sendable {
    public struct TensorEntry: Encodable, Sendable {
        public let name: String
        public let dtype: String
        public let shape: [Int]
        public let bytes: Int
    }

    public let path: String
    public let format: String
    public let tensors: [TensorEntry]
    /// Elements of every tensor, integer buffers included.
    public let parameters: Int
    public let bytes: Int
    /// Parameters per dtype tag.
    public let dtypes: [String: Int]
    public let metadata: [String: String]

    /// Summarises `store` read from `path`, keeping the tensors whose names `include` accepts
    /// (totals still cover the whole store).
    public init(store: WeightStore, path: String, format: CheckpointFormat,
                include: (String) -> Bool = { _ in true }) {
        self.path = path
        self.format = format.rawValue
        tensors = store.tensors.filter { include($0.name) }.map {
            TensorEntry(name: $0.name, dtype: $0.dtype.rawValue, shape: $0.shape, bytes: $0.byteCount)
        }
        parameters = store.parameterCount
        bytes = store.byteCount
        dtypes = store.tensors.reduce(into: [:]) { $0[$1.dtype.rawValue, default: 0] += $1.elementCount }
        metadata = store.metadata
    }
}
