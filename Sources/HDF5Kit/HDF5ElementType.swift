/// The element types HDF5Kit can create and recognise, each stored little-endian in files.
///
/// `float16` and `bfloat16` are built from IEEE F32LE as h5py does (HDF5 1.10 has no
/// predefined half types); `bool` is h5py's enum of int8 `FALSE = 0`, `TRUE = 1`;
/// `complex64` is h5py's compound `{r: f32, i: f32}`.
public enum HDF5ElementType: String, CaseIterable, Sendable, CustomStringConvertible {
    case float64, float32, float16, bfloat16
    case int64, int32, int16, int8
    case uint64, uint32, uint16, uint8
    case bool
    case complex64

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .float64, .int64, .uint64, .complex64: return 8
        case .float32, .int32, .uint32: return 4
        case .float16, .bfloat16, .int16, .uint16: return 2
        case .int8, .uint8, .bool: return 1
        }
    }

    public var description: String { rawValue }
}
