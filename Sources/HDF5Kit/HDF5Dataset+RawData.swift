import CHDF5

extension HDF5Dataset {
    /// The byte range of the file that holds the dataset's elements exactly as stored (in
    /// the file datatype, row-major), or nil when there is no such single range: chunked,
    /// compact, virtual or filtered datasets, data in external files, or file space not
    /// allocated yet (a contiguous dataset HDF5 allocates on first write).
    ///
    /// Offsets count from the start of the file (a user block included). Whoever reads or
    /// writes the range directly must compare the file datatype with the element layout it
    /// expects (`HDF5Datatype.isEqual(to:)`): the bytes are never converted.
    /// - Throws: `HDF5Error` when the creation properties cannot be read.
    public func rawDataRange() throws -> Range<Int>? {
        try HDF5Library.locked { () throws -> Range<Int>? in
            let dcpl = try check(H5Dget_create_plist(id), "cannot read the dataset's creation properties")
            defer { H5Pclose(dcpl) }
            guard H5Pget_layout(dcpl) == H5D_CONTIGUOUS, H5Pget_nfilters(dcpl) == 0,
                  H5Pget_external_count(dcpl) == 0 else { return nil }
            let offset = H5Dget_offset(id)
            guard offset != chdf5_HADDR_UNDEF() else {
                _ = HDF5Library.takeErrorStack()
                return nil
            }
            let start = UInt64(offset), size = UInt64(H5Dget_storage_size(id))
            guard start <= UInt64(Int.max), size <= UInt64(Int.max) - start else { return nil }
            return Int(start)..<Int(start + size)
        }
    }
}
