import CHDF5

/// An open group or dataset in a file: owns its HDF5 object id (closed when released) and
/// keeps its file open. Attributes are read and written through the node (see
/// `HDF5Node+Attributes.swift`).
public class HDF5Node: @unchecked Sendable {
    let id: hid_t
    /// The file the node lives in.
    public let file: HDF5File
    /// The absolute path of the node inside the file, e.g. `/vit/encoder`.
    public let path: String

    init(owning id: hid_t, file: HDF5File, path: String) {
        self.id = id
        self.file = file
        self.path = path
    }

    deinit { HDF5Library.locked { _ = H5Oclose(id) } }

    /// The path of the child link `name` of this node (`name` may be an absolute path).
    func childPath(_ name: String) -> String {
        if name.hasPrefix("/") { return name }
        return path == "/" ? "/" + name : path + "/" + name
    }

    /// The object's address in its file: equal for two nodes reached through different
    /// hard links to the same object (lets a walk skip cycles and repeats).
    public func objectAddress() throws -> UInt64 {
        try HDF5Library.locked {
            var info = H5O_info_t()
            try check(H5Oget_info2(id, &info, UInt32(H5O_INFO_BASIC)), "cannot read the object's address")
            return UInt64(info.addr)
        }
    }

    /// Throws an `HDF5Error` naming this node's file and path when `id` is negative.
    @discardableResult
    func check(_ id: hid_t, object: String? = nil, _ operation: @autoclosure () -> String) throws -> hid_t {
        try HDF5Library.check(id, path: file.path, object: object ?? path, operation())
    }

    func check(_ status: Int32, object: String? = nil, _ operation: @autoclosure () -> String) throws {
        try HDF5Library.check(status, path: file.path, object: object ?? path, operation())
    }
}
