import WeightStore

/// Everything that can go wrong reading or writing safetensors files and sharded checkpoints.
///
/// Each case carries the file and, where one is involved, the tensor, its dtype and shape.
/// `name` is the error name the reference implementation (huggingface/safetensors) uses for
/// the same problem, so a message can be matched against the reference's behaviour; the
/// cases it does not have (duplicate names, sharded-index problems, I/O) get names of
/// their own.
public enum SafeTensorsError: Error, CustomStringConvertible, Equatable, Sendable {
    // MARK: - Cases the reference reader has

    /// The file is shorter than the 8-byte header length.
    case headerTooSmall(path: String, fileSize: Int)
    /// The header length N exceeds 100,000,000 bytes.
    case headerTooLarge(path: String, headerLength: UInt64)
    /// 8 + N runs past the end of the file.
    case invalidHeaderLength(path: String, headerLength: UInt64, fileSize: Int)
    /// The header is not valid UTF-8 JSON of the expected structure (unknown dtype, negative
    /// dimension, missing or unknown field, non-string metadata value, …).
    case invalidHeaderDeserialization(path: String, reason: String)
    /// `end − begin` is not the byte size of the tensor's shape and dtype.
    case tensorInvalidInfo(path: String, tensor: String, dtype: DTypeTag, shape: [Int], begin: Int, end: Int, expected: Int)
    /// After sorting by offset: a gap, an overlap, `end < begin`, or a first tensor not at 0.
    case invalidOffset(path: String, tensor: String, reason: String)
    /// The tensor data does not end exactly at the end of the file.
    case metadataIncompleteBuffer(path: String, dataEnd: Int, fileSize: Int)
    /// The element count or byte size of a shape does not fit in 64 bits.
    case validationOverflow(path: String, tensor: String, dtype: DTypeTag, shape: [UInt64])
    /// A sub-byte dtype (F4, F6) whose elements do not fill a whole number of bytes.
    case misalignedSlice(path: String, tensor: String, dtype: DTypeTag, shape: [Int])

    // MARK: - Cases of Transfuse's own

    /// The header names the same tensor twice (the reference silently keeps the last one).
    case duplicateTensorName(path: String, tensor: String)
    /// A sharded index (`*.safetensors.index.json`) is malformed or disagrees with its shards.
    case invalidIndex(path: String, reason: String)
    /// The file cannot be opened, mapped, created or written.
    case io(path: String, message: String)
    /// A streamed write (`SafeTensorsStreamWriter`) got a tensor its header does not list, or
    /// with another dtype or shape, or twice, or was finished with tensors still missing.
    case streamMismatch(path: String, tensor: String, reason: String)

    /// A dtype spelled as the safetensors tag (`F32`), kept as text so that messages can
    /// name tags the reader rejects.
    public typealias DTypeTag = String

    /// The reference implementation's name for this error (`InvalidOffset`, …), or
    /// Transfuse's own name for the cases the reference does not have.
    public var name: String {
        switch self {
        case .headerTooSmall: return "HeaderTooSmall"
        case .headerTooLarge: return "HeaderTooLarge"
        case .invalidHeaderLength: return "InvalidHeaderLength"
        case .invalidHeaderDeserialization: return "InvalidHeaderDeserialization"
        case .tensorInvalidInfo: return "TensorInvalidInfo"
        case .invalidOffset: return "InvalidOffset"
        case .metadataIncompleteBuffer: return "MetadataIncompleteBuffer"
        case .validationOverflow: return "ValidationOverflow"
        case .misalignedSlice: return "MisalignedSlice"
        case .duplicateTensorName: return "DuplicateTensorName"
        case .invalidIndex: return "InvalidIndex"
        case .io: return "IOError"
        case .streamMismatch: return "StreamMismatch"
        }
    }

    /// The file the error is about.
    public var path: String {
        switch self {
        case let .headerTooSmall(path, _), let .headerTooLarge(path, _),
             let .invalidHeaderLength(path, _, _), let .invalidHeaderDeserialization(path, _),
             let .tensorInvalidInfo(path, _, _, _, _, _, _), let .invalidOffset(path, _, _),
             let .metadataIncompleteBuffer(path, _, _), let .validationOverflow(path, _, _, _),
             let .misalignedSlice(path, _, _, _), let .duplicateTensorName(path, _),
             let .invalidIndex(path, _), let .io(path, _), let .streamMismatch(path, _, _):
            return path
        }
    }

    public var description: String { "\(path): \(name): \(detail)" }

    private var detail: String {
        switch self {
        case let .headerTooSmall(_, fileSize):
            return "the file has \(fileSize) bytes, fewer than the 8-byte header length; it is not a safetensors file"
        case let .headerTooLarge(_, length):
            return "the header length is \(length) bytes, more than the limit of 100,000,000; the file is corrupt or not a safetensors file"
        case let .invalidHeaderLength(_, length, fileSize):
            return "the header claims \(length) bytes but the file has only \(fileSize) bytes (8 + header length runs past the end); the file is truncated or not a safetensors file"
        case let .invalidHeaderDeserialization(_, reason):
            return reason
        case let .tensorInvalidInfo(_, tensor, dtype, shape, begin, end, expected):
            return "tensor '\(tensor)' (\(dtype) \(Shape.describe(shape))) needs \(expected) bytes but its data_offsets [\(begin), \(end)] span \(end - begin)"
        case let .invalidOffset(_, _, reason):
            return reason
        case let .metadataIncompleteBuffer(_, dataEnd, fileSize):
            return "the header and tensors cover \(dataEnd) bytes but the file has \(fileSize); the file is truncated or has trailing bytes"
        case let .validationOverflow(_, tensor, dtype, shape):
            return "tensor '\(tensor)' (\(dtype) [\(shape.map(String.init).joined(separator: ", "))]): the element count or byte size overflows 64 bits"
        case let .misalignedSlice(_, tensor, dtype, shape):
            return "tensor '\(tensor)' (\(dtype) \(Shape.describe(shape))) does not fill a whole number of bytes"
        case let .duplicateTensorName(_, tensor):
            return "the header lists tensor '\(tensor)' more than once (the reference reader would silently keep the last one); rewrite the file with unique names"
        case let .invalidIndex(_, reason):
            return reason
        case let .io(_, message):
            return message
        case let .streamMismatch(_, tensor, reason):
            return "tensor '\(tensor)': \(reason)"
        }
    }
}
