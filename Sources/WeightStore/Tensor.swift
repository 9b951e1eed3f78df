import Foundation

/// One named tensor: name, dtype, shape and a lazy source of its bytes.
///
/// Invariant: `source.byteCount == dtype.byteCount(elements: elementCount)`; the initialisers
/// check it so that every `Tensor` in a store is self-consistent.
public struct Tensor: Sendable {
    public let name: String
    public let dtype: DType
    public let shape: [Int]
    public let source: any TensorSource

    /// Elements in the tensor (1 for a scalar).
    public var elementCount: Int { Shape.elementCount(shape) ?? 0 }
    /// Bytes of data.
    public var byteCount: Int { source.byteCount }

    /// Creates a tensor over `source`, checking that the byte count matches shape and dtype.
    public init(name: String, dtype: DType, shape: [Int], source: any TensorSource) throws {
        guard let count = Shape.elementCount(shape) else {
            throw StoreError.invalidShape(tensor: name, shape: shape)
        }
        guard let expected = dtype.byteCount(elements: count), expected == source.byteCount else {
            throw StoreError.byteCountMismatch(tensor: name, dtype: dtype, shape: shape,
                                               expected: dtype.byteCount(elements: count),
                                               found: source.byteCount)
        }
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.source = source
    }

    /// A tensor holding `bytes` in memory.
    public init(name: String, dtype: DType, shape: [Int], bytes: Data) throws {
        try self.init(name: name, dtype: dtype, shape: shape, source: InMemoryTensorSource(bytes))
    }

    /// Calls `body` with the raw bytes (little-endian, row-major).
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try source.withBytes(body)
    }

    /// The same data under another name (the byte count is unchanged, so no check is needed).
    public func renamed(_ newName: String) -> Tensor {
        Tensor(checkedName: newName, dtype: dtype, shape: shape, source: source)
    }

    private init(checkedName: String, dtype: DType, shape: [Int], source: any TensorSource) {
        self.name = checkedName
        self.dtype = dtype
        self.shape = shape
        self.source = source
    }

    /// `"name F32 [2, 3]"`, the spelling messages use.
    public var summary: String { "\(name) \(dtype) \(Shape.describe(shape))" }
}
