import CHDF5

/// The class of an HDF5 datatype, as `H5Tget_class` reports it.
public enum HDF5TypeClass: String, Sendable, CustomStringConvertible {
    case integer = "H5T_INTEGER", float = "H5T_FLOAT", time = "H5T_TIME", string = "H5T_STRING"
    case bitfield = "H5T_BITFIELD", opaque = "H5T_OPAQUE", compound = "H5T_COMPOUND"
    case reference = "H5T_REFERENCE", enumeration = "H5T_ENUM", variableLength = "H5T_VLEN"
    case array = "H5T_ARRAY", unknown = "H5T_NO_CLASS"

    public var description: String { rawValue }
}

/// An owned HDF5 datatype (closed when released). Build element types with
/// `HDF5Datatype(_:)`, or inspect the type of a dataset or attribute.
public final class HDF5Datatype: @unchecked Sendable, CustomStringConvertible {
    let id: hid_t

    init(owning id: hid_t) { self.id = id }

    deinit { HDF5Library.locked { _ = H5Tclose(id) } }

    /// A private copy of a predefined or borrowed type id.
    static func copying(_ source: hid_t, _ what: String) throws -> HDF5Datatype {
        HDF5Datatype(owning: try HDF5Library.check(H5Tcopy(source), path: "HDF5", "cannot copy the \(what) type"))
    }

    /// A copy of this type (for example to read opaque data with the file's own type).
    public func copy() throws -> HDF5Datatype {
        try HDF5Library.locked { try Self.copying(id, "dataset") }
    }

    /// A fixed-size opaque type of `size` bytes, untagged by default as h5py makes them for
    /// NumPy void dtypes (how Keras 3 stores bfloat16; h5py cannot read opaque data whose
    /// tag differs from its own, so tag only types no Python tool has to read).
    public static func opaque(size: Int, tag: String? = nil) throws -> HDF5Datatype {
        try HDF5Library.locked {
            guard size > 0 else { throw HDF5Error(path: "HDF5", operation: "an opaque type needs a positive size") }
            let type = HDF5Datatype(owning: try HDF5Library.check(H5Tcreate(H5T_OPAQUE, size), path: "HDF5", "cannot create an opaque type of \(size) bytes"))
            if let tag {
                try HDF5Library.check(H5Tset_tag(type.id, tag), path: "HDF5", "cannot tag an opaque type")
            }
            return type
        }
    }

    /// The variable-length UTF-8 string type h5py reads as `str`.
    static func variableLengthUTF8() throws -> HDF5Datatype {
        let type = try copying(chdf5_T_C_S1(), "string")
        try HDF5Library.check(H5Tset_size(type.id, chdf5_T_VARIABLE()), path: "HDF5", "cannot make a variable-length string type")
        try HDF5Library.check(H5Tset_cset(type.id, H5T_CSET_UTF8), path: "HDF5", "cannot set the UTF-8 character set")
        return type
    }

    // MARK: - Inspection

    /// The type class.
    public var typeClass: HDF5TypeClass {
        HDF5Library.locked {
            switch H5Tget_class(id) {
            case H5T_INTEGER: return .integer
            case H5T_FLOAT: return .float
            case H5T_TIME: return .time
            case H5T_STRING: return .string
            case H5T_BITFIELD: return .bitfield
            case H5T_OPAQUE: return .opaque
            case H5T_COMPOUND: return .compound
            case H5T_REFERENCE: return .reference
            case H5T_ENUM: return .enumeration
            case H5T_VLEN: return .variableLength
            case H5T_ARRAY: return .array
            default: return .unknown
            }
        }
    }

    /// Bytes per element (for variable-length strings: the size of the pointer).
    public var size: Int { HDF5Library.locked { Int(H5Tget_size(id)) } }

    /// True for variable-length strings.
    public var isVariableLengthString: Bool { HDF5Library.locked { H5Tis_variable_str(id) > 0 } }

    /// The tag of an opaque type, nil for other classes.
    public var opaqueTag: String? {
        HDF5Library.locked {
            guard H5Tget_class(id) == H5T_OPAQUE, let tag = H5Tget_tag(id) else { return nil }
            defer { H5free_memory(tag) }
            return String(cString: tag)
        }
    }

    /// Bit fields of a float type: sign position, exponent position and size, mantissa
    /// position and size, exponent bias. Nil for other classes.
    public var floatFields: (sign: Int, exponentPosition: Int, exponentSize: Int, mantissaPosition: Int, mantissaSize: Int, bias: Int)? {
        HDF5Library.locked {
            guard H5Tget_class(id) == H5T_FLOAT else { return nil }
            var spos = 0, epos = 0, esize = 0, mpos = 0, msize = 0
            guard H5Tget_fields(id, &spos, &epos, &esize, &mpos, &msize) >= 0 else {
                _ = HDF5Library.takeErrorStack()
                return nil
            }
            return (spos, epos, esize, mpos, msize, Int(H5Tget_ebias(id)))
        }
    }

    /// True for types HDF5 marks as signed integers (or enums based on them).
    public var isSigned: Bool { HDF5Library.locked { H5Tget_sign(id) == H5T_SGN_2 } }

    /// `H5T_FLOAT size 2 (fields 15,10,5,0,10 bias 15)`: the spelling error messages use.
    public var description: String {
        var text = "\(typeClass) size \(size)"
        if let f = floatFields {
            text += " (fields \(f.sign),\(f.exponentPosition),\(f.exponentSize),\(f.mantissaPosition),\(f.mantissaSize) bias \(f.bias))"
        }
        if let tag = opaqueTag { text += " tag \"\(tag)\"" }
        return text
    }

    /// True when both types are the same HDF5 type.
    public func isEqual(to other: HDF5Datatype) -> Bool {
        HDF5Library.locked { H5Tequal(id, other.id) > 0 }
    }
}
