import CHDF5
import Foundation

/// Swift element types that read and write HDF5 datasets directly, each with the HDF5
/// native memory type of the same layout (`Float` ↔ `H5T_NATIVE_FLOAT`, `Bool` ↔ h5py's
/// bool enum, whose values 0 and 1 are exactly Swift's `Bool` bytes).
public protocol HDF5NativeElement: BitwiseCopyable {
    /// The element type of the Swift type.
    static var hdf5Element: HDF5ElementType { get }
}

extension Double: HDF5NativeElement { public static var hdf5Element: HDF5ElementType { .float64 } }
extension Float: HDF5NativeElement { public static var hdf5Element: HDF5ElementType { .float32 } }
extension Int64: HDF5NativeElement { public static var hdf5Element: HDF5ElementType { .int64 } }
extension Int32: HDF5NativeElement { public static var hdf5Element: HDF5ElementType { .int32 } }
extension Int16: HDF5NativeElement { public static var hdf5Element: HDF5ElementType { .int16 } }
extension Int8: HDF5NativeElement { public static var hdf5Element: HDF5ElementType { .int8 } }
extension UInt64: HDF5NativeElement { public static var hdf5Element: HDF5ElementType { .uint64 } }
extension UInt32: HDF5NativeElement { public static var hdf5Element: HDF5ElementType { .uint32 } }
extension UInt16: HDF5NativeElement { public static var hdf5Element: HDF5ElementType { .uint16 } }
extension UInt8: HDF5NativeElement { public static var hdf5Element: HDF5ElementType { .uint8 } }
extension Bool: HDF5NativeElement { public static var hdf5Element: HDF5ElementType { .bool } }

extension HDF5Datatype {
    /// The native memory type for `element`: `H5T_NATIVE_*` for the plain numbers, the
    /// constructed types for bool and complex64.
    public static func native(_ element: HDF5ElementType) throws -> HDF5Datatype {
        try HDF5Library.locked {
            switch element {
            case .float64: return try copying(chdf5_T_NATIVE_DOUBLE(), "native double")
            case .float32: return try copying(chdf5_T_NATIVE_FLOAT(), "native float")
            case .int64: return try copying(chdf5_T_NATIVE_INT64(), "native int64")
            case .int32: return try copying(chdf5_T_NATIVE_INT32(), "native int32")
            case .int16: return try copying(chdf5_T_NATIVE_INT16(), "native int16")
            case .int8: return try copying(chdf5_T_NATIVE_INT8(), "native int8")
            case .uint64: return try copying(chdf5_T_NATIVE_UINT64(), "native uint64")
            case .uint32: return try copying(chdf5_T_NATIVE_UINT32(), "native uint32")
            case .uint16: return try copying(chdf5_T_NATIVE_UINT16(), "native uint16")
            case .uint8: return try copying(chdf5_T_NATIVE_UINT8(), "native uint8")
            case .float16, .bfloat16, .bool, .complex64: return try HDF5Datatype.element(element)
            }
        }
    }
}

extension HDF5Dataset {
    /// The whole dataset as `[T]`, converted by HDF5 from the stored type to `T`'s native
    /// type (for example big-endian or float16 data read as `Float`).
    /// - Throws: `HDF5Error` when HDF5 cannot convert the stored type to `T`.
    public func read<T: HDF5NativeElement>(_: T.Type = T.self) throws -> [T] {
        try HDF5Library.locked {
            let memoryType = try HDF5Datatype.native(T.hdf5Element)
            let count = try dataspace().elementCount()
            return try [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                try read(into: UnsafeMutableRawBufferPointer(buffer), memoryType: memoryType)
                initialized = count
            }
        }
    }

    /// Writes the whole dataset from `values` (row-major; the count must match the
    /// dataspace), converting from `T`'s native type to the stored type.
    public func write<T: HDF5NativeElement>(_ values: [T]) throws {
        let memoryType = try HDF5Datatype.native(T.hdf5Element)
        try values.withUnsafeBytes { try write($0, memoryType: memoryType) }
    }
}
