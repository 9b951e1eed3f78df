import CHDF5
import Foundation

/// An open attribute of a group or dataset (closed when released).
public final class HDF5Attribute: @unchecked Sendable {
    let id: hid_t
    /// The node the attribute belongs to.
    public let owner: HDF5Node
    /// The attribute name.
    public let name: String

    init(owning id: hid_t, owner: HDF5Node, name: String) {
        self.id = id
        self.owner = owner
        self.name = name
    }

    deinit { HDF5Library.locked { _ = H5Aclose(id) } }

    private func failure(_ operation: String, stack: [String] = HDF5Library.takeErrorStack()) -> HDF5Error {
        HDF5Error(path: owner.file.path, object: "\(owner.path) attribute \(name)", operation: operation, stack: stack)
    }

    /// The stored datatype.
    public func datatype() throws -> HDF5Datatype {
        try HDF5Library.locked {
            let type = H5Aget_type(id)
            guard type >= 0 else { throw failure("cannot read the attribute's type") }
            return HDF5Datatype(owning: type)
        }
    }

    /// The attribute's dataspace.
    public func dataspace() throws -> HDF5Dataspace {
        try HDF5Library.locked {
            let space = H5Aget_space(id)
            guard space >= 0 else { throw failure("cannot read the attribute's dataspace") }
            return HDF5Dataspace(owning: space)
        }
    }

    /// The values of a string attribute, scalar or array, variable- or fixed-length (h5py
    /// `str` and NumPy `S` arrays such as Keras `layer_names`). Fixed-length values lose
    /// their padding (trailing NULs or spaces; up to the first NUL for NUL-terminated
    /// strings). An attribute with zero elements, of any type, reads as `[]` (Keras writes
    /// an empty `weight_names` as an empty float array).
    /// - Throws: `HDF5Error` when the attribute holds anything but strings.
    public func readStrings() throws -> [String] {
        try HDF5Library.locked {
            let type = try datatype()
            let count = try dataspace().elementCount()
            if count == 0 { return [] }
            guard type.typeClass == .string else {
                throw failure("is not a string attribute (it is \(type))", stack: [])
            }
            return type.isVariableLengthString ? try readVariableStrings(count: count, fileType: type)
                                               : try readFixedStrings(count: count, fileType: type)
        }
    }

    private func readVariableStrings(count: Int, fileType: HDF5Datatype) throws -> [String] {
        let memoryType = try HDF5Datatype.copying(chdf5_T_C_S1(), "string")
        guard H5Tset_size(memoryType.id, chdf5_T_VARIABLE()) >= 0,
              H5Tset_cset(memoryType.id, H5Tget_cset(fileType.id)) >= 0 else {
            throw failure("cannot build a variable-length string type")
        }
        var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
        guard H5Aread(id, memoryType.id, &pointers) >= 0 else { throw failure("cannot read the attribute") }
        let strings = pointers.map { $0.map { String(cString: $0) } ?? "" }
        let space = try dataspace()
        _ = H5Dvlen_reclaim(memoryType.id, space.id, defaultPlist, &pointers)
        return strings
    }

    private func readFixedStrings(count: Int, fileType: HDF5Datatype) throws -> [String] {
        let width = fileType.size
        let (total, overflow) = width.multipliedReportingOverflow(by: count)
        guard !overflow, width > 0 else { throw failure("the string attribute is too large", stack: []) }
        let padding = H5Tget_strpad(fileType.id)
        var bytes = [UInt8](repeating: 0, count: total)
        guard H5Aread(id, fileType.id, &bytes) >= 0 else { throw failure("cannot read the attribute") }
        return (0..<count).map { index in
            var value = bytes[(index * width)..<((index + 1) * width)]
            if padding == H5T_STR_NULLTERM, let end = value.firstIndex(of: 0) {
                value = value[..<end]
            } else {
                let pad: UInt8 = padding == H5T_STR_SPACEPAD ? 0x20 : 0
                while let last = value.last, last == pad { value = value.dropLast() }
            }
            return String(decoding: value, as: UTF8.self)
        }
    }

    /// The values of an integer attribute (any integer width), as `Int`.
    /// - Throws: `HDF5Error` for non-integer attributes or values beyond `Int64`.
    public func readInts() throws -> [Int] {
        try HDF5Library.locked {
            let type = try datatype()
            let count = try dataspace().elementCount()
            if count == 0 { return [] }
            guard type.typeClass == .integer else {
                throw failure("is not an integer attribute (it is \(type))", stack: [])
            }
            if !type.isSigned && type.size == 8 {
                var values = [UInt64](repeating: 0, count: count)
                guard H5Aread(id, chdf5_T_NATIVE_UINT64(), &values) >= 0 else { throw failure("cannot read the attribute") }
                return try values.map { value in
                    guard value <= UInt64(Int.max) else { throw failure("value \(value) does not fit in Int64", stack: []) }
                    return Int(value)
                }
            }
            var values = [Int64](repeating: 0, count: count)
            guard H5Aread(id, chdf5_T_NATIVE_INT64(), &values) >= 0 else { throw failure("cannot read the attribute") }
            return values.map { Int($0) }
        }
    }
}
