import CHDF5

/// An open HDF5 file (closed when the last reference, including its groups and datasets,
/// goes away).
public final class HDF5File: @unchecked Sendable {
    let id: hid_t
    /// Set by `close()`; the deinitialiser then leaves the id alone.
    private var isClosed = false
    /// The path the file was opened with.
    public let path: String
    /// True when opened read-only.
    public let isReadOnly: Bool

    private init(id: hid_t, path: String, readOnly: Bool) {
        self.id = id
        self.path = path
        self.isReadOnly = readOnly
    }

    deinit { HDF5Library.locked { if !isClosed { _ = H5Fclose(id) } } }

    /// True when `path` exists and starts with an HDF5 superblock signature.
    public static func isHDF5(path: String) -> Bool {
        HDF5Library.locked { H5Fis_hdf5(path) > 0 }
    }

    /// Opens an existing file read-only.
    /// - Throws: `HDF5Error` with the HDF5 error stack (missing, truncated or corrupt file).
    public static func openReadOnly(_ path: String) throws -> HDF5File {
        try HDF5Library.locked {
            let fapl = try accessPlist(path)
            defer { H5Pclose(fapl) }
            let id = try HDF5Library.check(H5Fopen(path, chdf5_F_ACC_RDONLY(), fapl), path: path, "cannot open the file")
            return HDF5File(id: id, path: path, readOnly: true)
        }
    }

    /// Opens an existing file for reading and writing (to add or replace attributes and
    /// datasets).
    public static func openReadWrite(_ path: String) throws -> HDF5File {
        try HDF5Library.locked {
            let fapl = try accessPlist(path)
            defer { H5Pclose(fapl) }
            let id = try HDF5Library.check(H5Fopen(path, chdf5_F_ACC_RDWR(), fapl), path: path, "cannot open the file for writing")
            return HDF5File(id: id, path: path, readOnly: false)
        }
    }

    /// Creates `path`, truncating an existing file. With `trackCreationOrder` the root group
    /// records the creation order of its links (h5py's `track_order=True`). Objects carry no
    /// time stamps, so writing the same content twice gives identical files.
    public static func create(_ path: String, trackCreationOrder: Bool = true) throws -> HDF5File {
        try HDF5Library.locked {
            let fcpl = try HDF5Library.check(H5Pcreate(chdf5_P_FILE_CREATE()), path: path, "cannot create a property list")
            defer { H5Pclose(fcpl) }
            // No modification times in object headers: the same store gives the same bytes.
            try HDF5Library.check(H5Pset_obj_track_times(fcpl, false), path: path, "cannot turn off time stamps")
            if trackCreationOrder {
                try HDF5Library.check(H5Pset_link_creation_order(fcpl, chdf5_P_CRT_ORDER_TRACKED() | chdf5_P_CRT_ORDER_INDEXED()),
                                      path: path, "cannot track the creation order")
            }
            let fapl = try accessPlist(path)
            defer { H5Pclose(fapl) }
            let id = try HDF5Library.check(H5Fcreate(path, chdf5_F_ACC_TRUNC(), fcpl, fapl), path: path, "cannot create the file")
            return HDF5File(id: id, path: path, readOnly: false)
        }
    }

    /// File access properties: HDF5's file locking, ignored where the file system does not
    /// support locks (network and container file systems) instead of failing to open.
    private static func accessPlist(_ path: String) throws -> hid_t {
        let fapl = try HDF5Library.check(H5Pcreate(chdf5_P_FILE_ACCESS()), path: path, "cannot create a property list")
        guard H5Pset_file_locking(fapl, true, true) >= 0 else {
            H5Pclose(fapl)
            throw HDF5Error(path: path, operation: "cannot configure file locking", stack: HDF5Library.takeErrorStack())
        }
        return fapl
    }

    /// The root group `/`.
    public func root() throws -> HDF5Group {
        try HDF5Library.locked {
            let group = try HDF5Library.check(H5Gopen2(id, "/", defaultPlist), path: path, object: "/", "cannot open the root group")
            return HDF5Group(owning: group, file: self, path: "/")
        }
    }

    /// Writes every buffered change to disk.
    /// - Throws: `HDF5Error` when the data cannot be written (disk full, I/O error).
    public func flush() throws {
        try HDF5Library.locked {
            try HDF5Library.check(H5Fflush(id, H5F_SCOPE_GLOBAL), path: path, "cannot write the file to disk")
        }
    }

    /// Closes the file now, writing everything HDF5 still buffers, so that the file on disk
    /// is complete when this returns (a caller may then write into ranges HDF5 allocated).
    /// Every group and dataset of the file must have been released first. The file must not
    /// be used afterwards.
    /// - Throws: `HDF5Error` when objects of the file are still open (nothing is closed
    ///   then) or the file cannot be written.
    public func close() throws {
        try HDF5Library.locked {
            guard !isClosed else { return }
            let open = H5Fget_obj_count(id, UInt32(H5F_OBJ_DATASET | H5F_OBJ_GROUP | H5F_OBJ_DATATYPE | H5F_OBJ_ATTR | H5F_OBJ_LOCAL))
            guard open == 0 else {
                throw HDF5Error(path: path, operation: "cannot close the file: \(open) of its objects are still open")
            }
            isClosed = true
            try HDF5Library.check(H5Fclose(id), path: path, "cannot close the file")
        }
    }
}
