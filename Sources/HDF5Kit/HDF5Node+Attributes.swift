import CHDF5

// MARK: - Attributes of groups and datasets

extension HDF5Node {
    /// Names of the node's attributes, in name order.
    public func attributeNames() throws -> [String] {
        try HDF5Library.locked {
            final class Names { var list: [String] = [] }
            let names = Names()
            let status = H5Aiterate2(id, H5_INDEX_NAME, H5_ITER_INC, nil, { _, name, _, data in
                guard let name, let data else { return 0 }
                Unmanaged<Names>.fromOpaque(data).takeUnretainedValue().list.append(String(cString: name))
                return 0
            }, Unmanaged.passUnretained(names).toOpaque())
            try check(status, "cannot list the attributes")
            return names.list
        }
    }

    /// True when the node has an attribute called `name`.
    public func hasAttribute(_ name: String) throws -> Bool {
        try HDF5Library.locked {
            let found = H5Aexists(id, name)
            try check(found, "cannot look up the attribute \(name)")
            return found > 0
        }
    }

    /// Opens the attribute `name`.
    public func openAttribute(_ name: String) throws -> HDF5Attribute {
        try HDF5Library.locked {
            let attribute = try check(H5Aopen(id, name, defaultPlist), "cannot open the attribute \(name)")
            return HDF5Attribute(owning: attribute, owner: self, name: name)
        }
    }

    /// The single string value of attribute `name` (scalar, or an array of one element).
    public func readString(attribute name: String) throws -> String {
        let values = try openAttribute(name).readStrings()
        guard values.count == 1 else {
            throw HDF5Error(path: file.path, object: "\(path) attribute \(name)",
                            operation: "expected one string, found \(values.count)")
        }
        return values[0]
    }

    /// The single integer value of attribute `name`.
    public func readInt(attribute name: String) throws -> Int {
        let values = try openAttribute(name).readInts()
        guard values.count == 1 else {
            throw HDF5Error(path: file.path, object: "\(path) attribute \(name)",
                            operation: "expected one integer, found \(values.count)")
        }
        return values[0]
    }

    /// Writes `value` as a scalar variable-length UTF-8 string attribute (what h5py reads as
    /// `str`), replacing an existing attribute of the same name.
    /// - Throws: `HDF5Error` when `value` contains a NUL character (HDF5 strings end there).
    public func writeString(_ value: String, attribute name: String) throws {
        guard !value.utf8.contains(0) else {
            throw HDF5Error(path: file.path, object: "\(path) attribute \(name)",
                            operation: "cannot store a string containing a NUL character")
        }
        try HDF5Library.locked {
            let type = try HDF5Datatype.variableLengthUTF8()
            let attribute = try createAttribute(name, type: type, space: HDF5Dataspace(dimensions: []))
            let status = value.withCString { text -> herr_t in
                var pointer: UnsafePointer<CChar>? = text
                return H5Awrite(attribute.id, type.id, &pointer)
            }
            try check(status, "cannot write the attribute \(name)")
        }
    }

    /// Writes `value` as a scalar 64-bit integer attribute (h5py's `int`).
    public func writeInt(_ value: Int, attribute name: String) throws {
        try HDF5Library.locked {
            let type = try HDF5Datatype.element(.int64)
            let attribute = try createAttribute(name, type: type, space: HDF5Dataspace(dimensions: []))
            var stored = Int64(value)
            try check(H5Awrite(attribute.id, chdf5_T_NATIVE_INT64(), &stored), "cannot write the attribute \(name)")
        }
    }

    private func createAttribute(_ name: String, type: HDF5Datatype, space: HDF5Dataspace) throws -> HDF5Attribute {
        if try hasAttribute(name) {
            try check(H5Adelete(id, name), "cannot replace the attribute \(name)")
        }
        let plist = try check(H5Pcreate(chdf5_P_ATTRIBUTE_CREATE()), "cannot create a property list")
        defer { H5Pclose(plist) }
        try check(H5Pset_char_encoding(plist, H5T_CSET_UTF8), "cannot set UTF-8 attribute names")
        let attribute = try check(H5Acreate2(id, name, type.id, space.id, plist, defaultPlist), "cannot create the attribute \(name)")
        return HDF5Attribute(owning: attribute, owner: self, name: name)
    }
}
