/// Errors reading NumPy `.npz` archives and the `.npy` arrays inside them. Every message names
/// the archive and, where there is one, the array.
public enum NPZError: Error, CustomStringConvertible, Equatable {
    /// The archive cannot be opened or an entry cannot be extracted.
    case unreadable(path: String, reason: String)
    /// An entry is not a valid `.npy` array.
    case invalidArray(path: String, array: String, reason: String)
    /// A valid array of an element type Transfuse does not represent.
    case unsupportedDType(path: String, array: String, descr: String)
    /// A Fortran-ordered (column-major) array.
    case fortranOrder(path: String, array: String, shape: [Int])
    /// Two entries give the same array name.
    case duplicateArray(path: String, array: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            return "\(path): cannot read the .npz archive: \(reason)"
        case let .invalidArray(path, array, reason):
            return "\(path): array '\(array)': not a valid .npy array: \(reason)"
        case let .unsupportedDType(path, array, descr):
            return "\(path): array '\(array)': unsupported element type '\(descr)' (supported: little- or big-endian f2, f4, f8, i1, i2, i4, i8, u1, u2, u4, u8, b1)"
        case let .fortranOrder(path, array, shape):
            return "\(path): array '\(array)' \(describe(shape)) is stored in Fortran (column-major) order; save it with numpy.ascontiguousarray first"
        case let .duplicateArray(path, array):
            return "\(path): array '\(array)' occurs twice in the archive"
        }
    }

    private func describe(_ shape: [Int]) -> String {
        "[" + shape.map(String.init).joined(separator: ", ") + "]"
    }
}
