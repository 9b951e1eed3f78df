import CHDF5
import Foundation

extension HDF5Dataset {
    /// Reads the outer rows `rows` (indices along the first dimension) converted to
    /// `memoryType`, so a reader can take the first samples of a large dataset without
    /// loading all of it.
    /// - Returns: `rows.count × (elements per row) × memoryType.size` bytes, row-major.
    /// - Throws: `HDF5Error` for a scalar dataset, rows out of range, or a failed read.
    public func readBytes(memoryType: HDF5Datatype, rows: Range<Int>) throws -> Data {
        try HDF5Library.locked {
            let space = try dataspace()
            let dims = try space.dimensions()
            guard let outer = dims.first, rows.lowerBound >= 0, rows.upperBound <= outer else {
                throw HDF5Error(path: file.path, object: path, operation: "rows \(rows) are outside the shape \(dims)")
            }
            let rowElements = HDF5Dataspace.product(Array(dims.dropFirst())) ?? -1
            let (count, countOverflow) = rowElements.multipliedReportingOverflow(by: rows.count)
            let (total, byteOverflow) = count.multipliedReportingOverflow(by: memoryType.size)
            guard rowElements >= 0, !countOverflow, !byteOverflow else {
                throw HDF5Error(path: file.path, object: path, operation: "rows \(rows) of \(dims) overflow the address space")
            }
            var data = Data(count: total)
            guard count > 0 else { return data }
            var start = [hsize_t](repeating: 0, count: dims.count)
            var extent = dims.map { hsize_t($0) }
            start[0] = hsize_t(rows.lowerBound)
            extent[0] = hsize_t(rows.count)
            try check(H5Sselect_hyperslab(space.id, H5S_SELECT_SET, start, nil, extent, nil), "cannot select rows \(rows)")
            let memory = try HDF5Dataspace(dimensions: [count])
            let status = data.withUnsafeMutableBytes { buffer in
                H5Dread(id, memoryType.id, memory.id, space.id, defaultPlist, buffer.baseAddress)
            }
            try check(status, "cannot read rows \(rows) of the dataset")
            return data
        }
    }
}
