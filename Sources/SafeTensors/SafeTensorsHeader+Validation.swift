import WeightStore

// MARK: - Offsets and sizes, checked as the reference's `Metadata::validate` does

extension SafeTensorsHeader {
    /// Checks that the entries, sorted by `(begin, end)`, tile the data without gap or
    /// overlap starting at 0, and that each entry's byte count matches its shape and dtype.
    /// - Returns: the end of the data relative to `dataStart`.
    /// - Throws: `SafeTensorsError.invalidOffset`, `.misalignedSlice` or `.tensorInvalidInfo`.
    func validateOffsets(path: String) throws -> Int {
        let order = entries.indices.sorted {
            let a = entries[$0].dataOffsets, b = entries[$1].dataOffsets
            return (a.lowerBound, a.upperBound) < (b.lowerBound, b.upperBound)
        }
        var expectedBegin = 0
        var previous: String?
        for index in order {
            let entry = entries[index]
            let range = entry.dataOffsets
            guard range.lowerBound == expectedBegin else {
                let reason: String
                if let previous {
                    let relation = range.lowerBound < expectedBegin ? "overlaps" : "leaves a gap after"
                    reason = "tensor '\(entry.name)' begins at \(range.lowerBound) but the previous tensor '\(previous)' ends at \(expectedBegin) (it \(relation) it)"
                } else {
                    reason = "tensor '\(entry.name)' is the first in the data but begins at \(range.lowerBound), not 0"
                }
                throw SafeTensorsError.invalidOffset(path: path, tensor: entry.name, reason: reason)
            }
            expectedBegin = range.upperBound
            previous = entry.name
            // The shape product cannot overflow here: `parse` checked it in 64 bits.
            let elements = Shape.elementCount(entry.shape) ?? 0
            guard let expected = entry.dtype.byteCount(elements: elements) else {
                throw SafeTensorsError.misalignedSlice(path: path, tensor: entry.name, dtype: entry.dtype.rawValue, shape: entry.shape)
            }
            guard range.count == expected else {
                throw SafeTensorsError.tensorInvalidInfo(path: path, tensor: entry.name, dtype: entry.dtype.rawValue,
                                                         shape: entry.shape, begin: range.lowerBound,
                                                         end: range.upperBound, expected: expected)
            }
        }
        return expectedBegin
    }
}
