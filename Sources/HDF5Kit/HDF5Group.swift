import CHDF5

/// One link of a group: its name and what it points to.
public struct HDF5Link: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case group, dataset, namedDatatype, softLink, externalLink, other
    }
    public let name: String
    public let kind: Kind
}

/// An open group.
public final class HDF5Group: HDF5Node, @unchecked Sendable {
    /// Creates the child group `name`; with `trackCreationOrder` its links remember the
    /// order they were created in (tracked and indexed, h5py's `track_order=True`).
    public func createGroup(_ name: String, trackCreationOrder: Bool = true) throws -> HDF5Group {
        try HDF5Library.locked {
            let object = childPath(name)
            let gcpl = try check(H5Pcreate(chdf5_P_GROUP_CREATE()), object: object, "cannot create a property list")
            defer { H5Pclose(gcpl) }
            try check(H5Pset_obj_track_times(gcpl, false), object: object, "cannot turn off time stamps")
            if trackCreationOrder {
                try check(H5Pset_link_creation_order(gcpl, chdf5_P_CRT_ORDER_TRACKED() | chdf5_P_CRT_ORDER_INDEXED()),
                          object: object, "cannot track the creation order")
            }
            let lcpl = try utf8LinkPlist(object)
            defer { H5Pclose(lcpl) }
            let group = try check(H5Gcreate2(id, name, lcpl, gcpl, defaultPlist), object: object, "cannot create the group")
            return HDF5Group(owning: group, file: file, path: object)
        }
    }

    /// Opens the child group `name` (a relative path is allowed).
    public func openGroup(_ name: String) throws -> HDF5Group {
        try HDF5Library.locked {
            let object = childPath(name)
            let group = try check(H5Gopen2(id, name, defaultPlist), object: object, "cannot open the group")
            return HDF5Group(owning: group, file: file, path: object)
        }
    }

    /// Opens the dataset `name` (a relative path is allowed).
    public func openDataset(_ name: String) throws -> HDF5Dataset {
        try HDF5Library.locked {
            let object = childPath(name)
            let dataset = try check(H5Dopen2(id, name, defaultPlist), object: object, "cannot open the dataset")
            return HDF5Dataset(owning: dataset, file: file, path: object)
        }
    }

    /// True when the group has a link called `name` (a single path component).
    public func hasLink(_ name: String) throws -> Bool {
        try HDF5Library.locked {
            let found = H5Lexists(id, name, defaultPlist)
            try check(found, "cannot look up the link \(name)")
            return found > 0
        }
    }

    /// True when the group records and indexes the creation order of its links.
    public var tracksCreationOrder: Bool {
        HDF5Library.locked {
            let gcpl = H5Gget_create_plist(id)
            guard gcpl >= 0 else { return false }
            defer { H5Pclose(gcpl) }
            var flags: UInt32 = 0
            guard H5Pget_link_creation_order(gcpl, &flags) >= 0 else { return false }
            return flags & chdf5_P_CRT_ORDER_INDEXED() != 0 && flags & chdf5_P_CRT_ORDER_TRACKED() != 0
        }
    }

    /// The group's links in creation order when the group tracks it, otherwise in HDF5's
    /// name order (byte order of the names; h5py files do not track creation order unless
    /// `track_order=True`).
    /// - Returns: `(links, creationOrdered)`.
    public func links() throws -> (links: [HDF5Link], creationOrdered: Bool) {
        try HDF5Library.locked {
            final class Found { var entries: [(String, H5L_type_t)] = [] }
            let found = Found()
            let ordered = tracksCreationOrder
            let status = H5Literate(id, ordered ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME, H5_ITER_INC, nil, { _, name, info, data in
                guard let name, let info, let data else { return 0 }
                Unmanaged<Found>.fromOpaque(data).takeUnretainedValue().entries.append((String(cString: name), info.pointee.type))
                return 0
            }, Unmanaged.passUnretained(found).toOpaque())
            try check(status, "cannot list the group's links")
            let links = try found.entries.map { name, type -> HDF5Link in
                switch type {
                case H5L_TYPE_HARD: return HDF5Link(name: name, kind: try objectKind(name))
                case H5L_TYPE_SOFT: return HDF5Link(name: name, kind: .softLink)
                case H5L_TYPE_EXTERNAL: return HDF5Link(name: name, kind: .externalLink)
                default: return HDF5Link(name: name, kind: .other)
                }
            }
            return (links, ordered)
        }
    }

    private func objectKind(_ name: String) throws -> HDF5Link.Kind {
        var info = H5O_info_t()
        try check(H5Oget_info_by_name2(id, name, &info, UInt32(H5O_INFO_BASIC), defaultPlist),
                  object: childPath(name), "cannot read the object's type")
        switch info.type {
        case H5O_TYPE_GROUP: return .group
        case H5O_TYPE_DATASET: return .dataset
        case H5O_TYPE_NAMED_DATATYPE: return .namedDatatype
        default: return .other
        }
    }

    /// Creates the dataset `name` of `type` and `shape` (`[]` for a scalar). See
    /// `HDF5DatasetOptions` for compression and early allocation; zero-size and scalar
    /// datasets are always stored contiguous and uncompressed (HDF5 cannot chunk them).
    public func createDataset(_ name: String, type: HDF5Datatype, shape: [Int],
                              options: HDF5DatasetOptions = HDF5DatasetOptions()) throws -> HDF5Dataset {
        try HDF5Library.locked {
            let object = childPath(name)
            let space = try HDF5Dataspace(dimensions: shape)
            let dcpl = try check(H5Pcreate(chdf5_P_DATASET_CREATE()), object: object, "cannot create a property list")
            defer { H5Pclose(dcpl) }
            try check(H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER), object: object, "cannot set the fill time")
            try check(H5Pset_obj_track_times(dcpl, false), object: object, "cannot turn off time stamps")
            if let level = options.deflateLevel,
               let chunk = HDF5DatasetOptions.chunkShape(for: shape, elementSize: type.size, targetBytes: options.chunkBytes) {
                let dims = chunk.map { hsize_t($0) }
                try check(H5Pset_chunk(dcpl, Int32(dims.count), dims), object: object, "cannot set the chunk shape \(chunk)")
                if options.shuffle {
                    try check(H5Pset_shuffle(dcpl), object: object, "cannot add the shuffle filter")
                }
                try check(H5Pset_deflate(dcpl, UInt32(level)), object: object, "cannot add the deflate filter")
            } else if options.allocateEarly {
                try check(H5Pset_layout(dcpl, H5D_CONTIGUOUS), object: object, "cannot set the contiguous layout")
                try check(H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY), object: object, "cannot set early allocation")
            }
            let lcpl = try utf8LinkPlist(object)
            defer { H5Pclose(lcpl) }
            let dataset = try check(H5Dcreate2(id, name, type.id, space.id, lcpl, dcpl, defaultPlist), object: object, "cannot create the dataset")
            return HDF5Dataset(owning: dataset, file: file, path: object)
        }
    }

    /// A link-creation property list marking names as UTF-8 (h5py decodes them as `str`).
    private func utf8LinkPlist(_ object: String) throws -> hid_t {
        let lcpl = try check(H5Pcreate(chdf5_P_LINK_CREATE()), object: object, "cannot create a property list")
        guard H5Pset_char_encoding(lcpl, H5T_CSET_UTF8) >= 0 else {
            H5Pclose(lcpl)
            throw HDF5Error(path: file.path, object: object, operation: "cannot set UTF-8 link names", stack: HDF5Library.takeErrorStack())
        }
        return lcpl
    }
}
