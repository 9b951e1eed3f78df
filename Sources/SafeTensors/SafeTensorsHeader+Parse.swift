import WeightStore

// MARK: - Parsing and validating a header from the first bytes of a file

extension SafeTensorsHeader {
    /// Parses and validates the header of a safetensors file without touching tensor data.
    ///
    /// Checks, in the reference reader's order: HeaderTooSmall, HeaderTooLarge,
    /// InvalidHeaderLength, InvalidHeaderDeserialization (UTF-8, JSON, structure, dtypes,
    /// duplicate keys, non-string metadata, unknown fields), DuplicateTensorName and
    /// ValidationOverflow per entry in header order, then with the entries sorted by offset
    /// InvalidOffset, MisalignedSlice and TensorInvalidInfo, and finally
    /// MetadataIncompleteBuffer. Stricter than the reference in two ways: duplicate names
    /// and unknown fields in a tensor entry are errors (the reference ignores them).
    ///
    /// - Parameters:
    ///   - bytes: the start of the file; at least the 8-byte length and the N header bytes
    ///     (the whole file, or a whole memory map, is fine: only `8 + N` bytes are read).
    ///   - fileSize: the size of the whole file, against which lengths and offsets are checked.
    ///   - path: the file name used in error messages.
    /// - Returns: the header with entries in JSON order.
    /// - Throws: `SafeTensorsError`; never traps on any input. O(N) time.
    public static func parse(bytes: UnsafeRawBufferPointer, fileSize: Int, path: String) throws -> SafeTensorsHeader {
        let available = min(bytes.count, fileSize)
        guard available >= 8 else { throw SafeTensorsError.headerTooSmall(path: path, fileSize: fileSize) }
        let length = bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self).littleEndian
        guard length <= maximumHeaderLength else {
            throw SafeTensorsError.headerTooLarge(path: path, headerLength: length)
        }
        let headerLength = Int(length)  // ≤ 1e8, fits
        guard 8 + headerLength <= available else {
            throw SafeTensorsError.invalidHeaderLength(path: path, headerLength: length, fileSize: fileSize)
        }
        let json: JSONValue
        do {
            json = try JSONParser.parse(UnsafeRawBufferPointer(rebasing: bytes[8..<(8 + headerLength)]))
        } catch {
            throw SafeTensorsError.invalidHeaderDeserialization(
                path: path, reason: "\(error.message) at byte \(error.offset) of the JSON header (file offset \(8 + error.offset))")
        }
        let (entries, metadata) = try interpret(json, path: path)
        let header = SafeTensorsHeader(entries: entries, metadata: metadata, headerLength: headerLength)
        let dataEnd = try header.validateOffsets(path: path)
        guard header.dataStart + dataEnd == fileSize else {
            throw SafeTensorsError.metadataIncompleteBuffer(path: path, dataEnd: header.dataStart + dataEnd, fileSize: fileSize)
        }
        return header
    }

    /// Convenience for callers that hold the file's bytes in an array (tests, the fuzzer).
    public static func parse(bytes: [UInt8], path: String) throws -> SafeTensorsHeader {
        try bytes.withUnsafeBytes { try parse(bytes: $0, fileSize: bytes.count, path: path) }
    }

    // MARK: - Structure

    /// Turns the header JSON into entries (JSON order) and metadata.
    private static func interpret(_ json: JSONValue, path: String) throws -> ([Entry], [String: String]) {
        func invalid(_ reason: String) -> SafeTensorsError {
            .invalidHeaderDeserialization(path: path, reason: reason)
        }
        guard case let .object(members) = json else {
            throw invalid("the header is \(json.kindDescription), not a JSON object of tensors")
        }
        var entries: [Entry] = []
        entries.reserveCapacity(members.count)
        var seen = Set<String>(minimumCapacity: members.count)
        var metadata: [String: String]?
        for member in members {
            if member.key == "__metadata__" {
                guard metadata == nil else { throw invalid("'__metadata__' occurs more than once") }
                metadata = try interpretMetadata(member.value, invalid: invalid)
                continue
            }
            guard seen.insert(member.key).inserted else {
                throw SafeTensorsError.duplicateTensorName(path: path, tensor: member.key)
            }
            entries.append(try interpretEntry(name: member.key, member.value, path: path, invalid: invalid))
        }
        return (entries, metadata ?? [:])
    }

    private static func interpretMetadata(_ value: JSONValue, invalid: (String) -> SafeTensorsError) throws -> [String: String] {
        switch value {
        case .null:
            return [:]
        case let .object(members):
            var map: [String: String] = [:]
            for member in members {
                guard case let .string(text) = member.value else {
                    throw invalid("'__metadata__' value of '\(member.key)' is \(member.value.kindDescription); metadata values must be strings")
                }
                guard map.updateValue(text, forKey: member.key) == nil else {
                    throw invalid("'__metadata__' lists the key '\(member.key)' more than once")
                }
            }
            return map
        default:
            throw invalid("'__metadata__' is \(value.kindDescription), not an object of strings")
        }
    }

    /// Parses `{"dtype": …, "shape": […], "data_offsets": [b, e]}`, exactly these three fields.
    private static func interpretEntry(name: String, _ value: JSONValue, path: String,
                                       invalid: (String) -> SafeTensorsError) throws -> Entry {
        guard case let .object(fields) = value else {
            throw invalid("tensor '\(name)' is \(value.kindDescription), not an object with dtype, shape and data_offsets")
        }
        var dtypeValue: JSONValue?, shapeValue: JSONValue?, offsetsValue: JSONValue?
        for field in fields {
            switch field.key {
            case "dtype" where dtypeValue == nil: dtypeValue = field.value
            case "shape" where shapeValue == nil: shapeValue = field.value
            case "data_offsets" where offsetsValue == nil: offsetsValue = field.value
            case "dtype", "shape", "data_offsets":
                throw invalid("tensor '\(name)' has the field '\(field.key)' more than once")
            default:
                throw invalid("tensor '\(name)' has an unknown field '\(field.key)' (allowed: dtype, shape, data_offsets)")
            }
        }
        guard let dtypeValue else { throw invalid("tensor '\(name)' has no 'dtype'") }
        guard let shapeValue else { throw invalid("tensor '\(name)' has no 'shape'") }
        guard let offsetsValue else { throw invalid("tensor '\(name)' has no 'data_offsets'") }

        guard case let .string(tag) = dtypeValue else {
            throw invalid("tensor '\(name)': dtype is \(dtypeValue.kindDescription), not a string")
        }
        guard let dtype = DType(rawValue: tag) else {
            throw invalid("tensor '\(name)': unknown dtype '\(tag)' (known: \(DType.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard case let .array(dimensionValues) = shapeValue else {
            throw invalid("tensor '\(name)': shape is \(shapeValue.kindDescription), not an array")
        }
        var dimensions: [UInt64] = []
        dimensions.reserveCapacity(dimensionValues.count)
        for dimension in dimensionValues {
            guard let value = dimension.unsignedInteger else {
                throw invalid("tensor '\(name)': shape dimension is \(dimension.kindDescription), not a non-negative integer")
            }
            dimensions.append(value)
        }
        guard case let .array(offsetValues) = offsetsValue, offsetValues.count == 2 else {
            throw invalid("tensor '\(name)': data_offsets must be an array of two integers [begin, end]")
        }
        guard let begin = offsetValues[0].unsignedInteger, let end = offsetValues[1].unsignedInteger else {
            throw invalid("tensor '\(name)': data_offsets must be non-negative integers")
        }
        // Shape product and byte size, in 64 bits as the reference computes them.
        var elements: UInt64 = 1
        for dimension in dimensions {
            let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw SafeTensorsError.validationOverflow(path: path, tensor: name, dtype: tag, shape: dimensions) }
            elements = product
        }
        let (bits, overflow) = elements.multipliedReportingOverflow(by: UInt64(dtype.bitWidth))
        guard !overflow, dimensions.allSatisfy({ $0 <= UInt64(Int.max) }), bits / 8 <= UInt64(Int.max) else {
            throw SafeTensorsError.validationOverflow(path: path, tensor: name, dtype: tag, shape: dimensions)
        }
        // Offsets beyond Int.max cannot lie inside any file.
        let limit = UInt64(Int.max)
        let shape = dimensions.map { Int($0) }
        guard begin <= limit, end <= limit else {
            throw SafeTensorsError.invalidOffset(path: path, tensor: name,
                reason: "tensor '\(name)' has data_offsets [\(begin), \(end)], beyond any file size")
        }
        guard end >= begin else {
            throw SafeTensorsError.invalidOffset(path: path, tensor: name,
                reason: "tensor '\(name)' has data_offsets [\(begin), \(end)]: the end lies before the beginning")
        }
        return Entry(name: name, dtype: dtype, shape: shape, dataOffsets: Int(begin)..<Int(end))
    }
}
