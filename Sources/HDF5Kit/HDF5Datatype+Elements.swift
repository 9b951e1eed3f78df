import CHDF5

// MARK: - Building and recognising the element types Transfuse stores

extension HDF5Datatype {
    /// The little-endian type of `element` (also the memory type: x86-64 and arm64 are
    /// little-endian, so reading with it returns the bytes safetensors expects).
    public static func element(_ element: HDF5ElementType) throws -> HDF5Datatype {
        try HDF5Library.locked { try make(element) }
    }

    private static func make(_ element: HDF5ElementType) throws -> HDF5Datatype {
        switch element {
        case .float64: return try copying(chdf5_T_IEEE_F64LE(), "float64")
        case .float32: return try copying(chdf5_T_IEEE_F32LE(), "float32")
        case .float16: return try halfFloat(fields: (15, 10, 5, 0, 10), bias: 15, name: "float16")
        case .bfloat16: return try halfFloat(fields: (15, 7, 8, 0, 7), bias: 127, name: "bfloat16")
        case .int64: return try copying(chdf5_T_STD_I64LE(), "int64")
        case .int32: return try copying(chdf5_T_STD_I32LE(), "int32")
        case .int16: return try copying(chdf5_T_STD_I16LE(), "int16")
        case .int8: return try copying(chdf5_T_STD_I8LE(), "int8")
        case .uint64: return try copying(chdf5_T_STD_U64LE(), "uint64")
        case .uint32: return try copying(chdf5_T_STD_U32LE(), "uint32")
        case .uint16: return try copying(chdf5_T_STD_U16LE(), "uint16")
        case .uint8: return try copying(chdf5_T_STD_U8LE(), "uint8")
        case .bool:
            let type = HDF5Datatype(owning: try HDF5Library.check(H5Tenum_create(chdf5_T_NATIVE_INT8()), path: "HDF5", "cannot create the bool enum type"))
            var no: Int8 = 0, yes: Int8 = 1
            try HDF5Library.check(H5Tenum_insert(type.id, "FALSE", &no), path: "HDF5", "cannot build the bool enum type")
            try HDF5Library.check(H5Tenum_insert(type.id, "TRUE", &yes), path: "HDF5", "cannot build the bool enum type")
            return type
        case .complex64:
            let type = HDF5Datatype(owning: try HDF5Library.check(H5Tcreate(H5T_COMPOUND, 8), path: "HDF5", "cannot create the complex64 type"))
            try HDF5Library.check(H5Tinsert(type.id, "r", 0, chdf5_T_IEEE_F32LE()), path: "HDF5", "cannot build the complex64 type")
            try HDF5Library.check(H5Tinsert(type.id, "i", 4, chdf5_T_IEEE_F32LE()), path: "HDF5", "cannot build the complex64 type")
            return type
        }
    }

    /// A 2-byte float copied from IEEE F32LE with the given bit fields and exponent bias,
    /// exactly as h5py builds float16.
    private static func halfFloat(fields: (Int, Int, Int, Int, Int), bias: Int, name: String) throws -> HDF5Datatype {
        let type = try copying(chdf5_T_IEEE_F32LE(), name)
        let failure = "cannot build the \(name) type"
        try HDF5Library.check(H5Tset_fields(type.id, fields.0, fields.1, fields.2, fields.3, fields.4), path: "HDF5", failure)
        try HDF5Library.check(H5Tset_size(type.id, 2), path: "HDF5", failure)
        try HDF5Library.check(H5Tset_ebias(type.id, bias), path: "HDF5", failure)
        return type
    }

    /// The element type this datatype stores, or nil when it is none of `HDF5ElementType`
    /// (strings, opaque data, other compounds, unusual float layouts…). Byte order does not
    /// matter: HDF5 converts big-endian data when reading with the element's memory type.
    public var elementType: HDF5ElementType? {
        HDF5Library.locked {
            switch typeClass {
            case .float:
                guard let f = floatFields else { return nil }
                switch (size, f.sign, f.exponentPosition, f.exponentSize, f.mantissaPosition, f.mantissaSize, f.bias) {
                case (8, 63, 52, 11, 0, 52, 1023): return .float64
                case (4, 31, 23, 8, 0, 23, 127): return .float32
                case (2, 15, 10, 5, 0, 10, 15): return .float16
                case (2, 15, 7, 8, 0, 7, 127): return .bfloat16
                default: return nil
                }
            case .integer:
                let signed = isSigned
                switch size {
                case 8: return signed ? .int64 : .uint64
                case 4: return signed ? .int32 : .uint32
                case 2: return signed ? .int16 : .uint16
                case 1: return signed ? .int8 : .uint8
                default: return nil
                }
            case .enumeration:
                return isBoolEnum ? .bool : nil
            case .compound:
                return isComplex64 ? .complex64 : nil
            default:
                return nil
            }
        }
    }

    /// h5py's bool: an enum over a 1-byte integer with exactly `FALSE = 0` and `TRUE = 1`.
    private var isBoolEnum: Bool {
        guard size == 1, H5Tget_nmembers(id) == 2 else { return false }
        var members: [String: Int8] = [:]
        for index in 0..<2 {
            guard let raw = H5Tget_member_name(id, UInt32(index)) else { return false }
            let name = String(cString: raw)
            H5free_memory(raw)
            var value: Int8 = 0
            guard H5Tget_member_value(id, UInt32(index), &value) >= 0 else {
                _ = HDF5Library.takeErrorStack()
                return false
            }
            members[name] = value
        }
        return members == ["FALSE": 0, "TRUE": 1]
    }

    /// h5py's complex64: a compound of two 4-byte floats `r` at 0 and `i` at 4.
    private var isComplex64: Bool {
        guard size == 8, H5Tget_nmembers(id) == 2 else { return false }
        for (index, (name, offset)) in [("r", 0), ("i", 4)].enumerated() {
            guard let raw = H5Tget_member_name(id, UInt32(index)) else { return false }
            let found = String(cString: raw)
            H5free_memory(raw)
            let memberID = H5Tget_member_type(id, UInt32(index))
            guard memberID >= 0 else { return false }
            let member = HDF5Datatype(owning: memberID)
            guard found == name, H5Tget_member_offset(id, UInt32(index)) == offset,
                  member.elementType == .float32 else { return false }
        }
        return true
    }
}
