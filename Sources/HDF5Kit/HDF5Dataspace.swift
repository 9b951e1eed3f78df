import CHDF5

/// The shape of a dataset or attribute: scalar (`[]`, one element), simple (`[d0, d1, …]`,
/// row-major, zero dimensions allowed) or null (no elements at all).
public final class HDF5Dataspace: @unchecked Sendable {
    let id: hid_t

    init(owning id: hid_t) { self.id = id }

    deinit { HDF5Library.locked { _ = H5Sclose(id) } }

    /// A dataspace of `dimensions`; `[]` makes a scalar dataspace (one element).
    /// - Throws: `HDF5Error` for a negative dimension.
    public convenience init(dimensions: [Int]) throws {
        let id: hid_t = try HDF5Library.locked {
            if dimensions.isEmpty {
                return try HDF5Library.check(H5Screate(H5S_SCALAR), path: "HDF5", "cannot create a scalar dataspace")
            }
            guard dimensions.allSatisfy({ $0 >= 0 }) else {
                throw HDF5Error(path: "HDF5", operation: "negative dimension in \(dimensions)")
            }
            let dims = dimensions.map { hsize_t($0) }
            return try HDF5Library.check(H5Screate_simple(Int32(dims.count), dims, nil), path: "HDF5",
                                         "cannot create a dataspace of shape \(dimensions)")
        }
        self.init(owning: id)
    }

    /// True for a scalar dataspace (shape `[]`).
    public var isScalar: Bool { HDF5Library.locked { H5Sget_simple_extent_type(id) == H5S_SCALAR } }

    /// True for a null dataspace (no elements, not even one).
    public var isNull: Bool { HDF5Library.locked { H5Sget_simple_extent_type(id) == H5S_NULL } }

    /// The dimensions, outermost first (`[]` for scalar and null dataspaces).
    /// - Throws: `HDF5Error` when a dimension does not fit in `Int`.
    public func dimensions() throws -> [Int] {
        try HDF5Library.locked {
            let rank = H5Sget_simple_extent_ndims(id)
            try HDF5Library.check(rank, path: "HDF5", "cannot read the rank of a dataspace")
            guard rank > 0 else { return [] }
            var dims = [hsize_t](repeating: 0, count: Int(rank))
            try HDF5Library.check(H5Sget_simple_extent_dims(id, &dims, nil), path: "HDF5", "cannot read the dimensions of a dataspace")
            return try dims.map { dim in
                guard dim <= hsize_t(Int.max) else {
                    throw HDF5Error(path: "HDF5", operation: "dimension \(dim) does not fit in a 64-bit signed integer")
                }
                return Int(dim)
            }
        }
    }

    /// Number of elements (1 for scalar, 0 for null).
    /// - Throws: `HDF5Error` when the count overflows `Int`.
    public func elementCount() throws -> Int {
        if isNull { return 0 }
        guard let count = Self.product(try dimensions()) else {
            throw HDF5Error(path: "HDF5", operation: "the element count of the dataspace overflows")
        }
        return count
    }

    static func product(_ dims: [Int]) -> Int? {
        var total = 1
        for dim in dims {
            let (next, overflow) = total.multipliedReportingOverflow(by: dim)
            if overflow || dim < 0 { return nil }
            total = next
        }
        return total
    }
}
