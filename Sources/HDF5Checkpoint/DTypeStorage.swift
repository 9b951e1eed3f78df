import HDF5Kit
import WeightStore

/// How a dtype is stored in HDF5: an element type h5py understands, or an untagged opaque
/// type of the element's byte size (8-bit floats, which HDF5 and NumPy lack; the dataset's
/// `dtype` attribute says which, and h5py reads the bytes as NumPy `V1`).
enum DTypeStorage: Equatable {
    case element(HDF5ElementType)
    case opaque(size: Int)

    /// The storage for `dtype`, or nil for the sub-byte types (F4, F6_*) HDF5 cannot hold
    /// element by element.
    init?(_ dtype: DType) {
        switch dtype {
        case .f64: self = .element(.float64)
        case .f32: self = .element(.float32)
        case .f16: self = .element(.float16)
        case .bf16: self = .element(.bfloat16)
        case .i64: self = .element(.int64)
        case .i32: self = .element(.int32)
        case .i16: self = .element(.int16)
        case .i8: self = .element(.int8)
        case .u64: self = .element(.uint64)
        case .u32: self = .element(.uint32)
        case .u16: self = .element(.uint16)
        case .u8: self = .element(.uint8)
        case .bool: self = .element(.bool)
        case .c64: self = .element(.complex64)
        case .f8E5M2, .f8E4M3, .f8E8M0, .f8E4M3FNUZ, .f8E5M2FNUZ: self = .opaque(size: 1)
        case .f4, .f6E2M3, .f6E3M2: return nil
        }
    }

    /// The file type (and, since it is little-endian, the memory type) for `dtype`.
    static func datatype(for dtype: DType) throws -> HDF5Datatype? {
        switch DTypeStorage(dtype) {
        case .element(let element)?: return try HDF5Datatype.element(element)
        case .opaque(let size)?: return try HDF5Datatype.opaque(size: size)
        case nil: return nil
        }
    }

    /// The dtype an element type stores when no `dtype` attribute says otherwise.
    static func dtype(of element: HDF5ElementType) -> DType {
        switch element {
        case .float64: return .f64
        case .float32: return .f32
        case .float16: return .f16
        case .bfloat16: return .bf16
        case .int64: return .i64
        case .int32: return .i32
        case .int16: return .i16
        case .int8: return .i8
        case .uint64: return .u64
        case .uint32: return .u32
        case .uint16: return .u16
        case .uint8: return .u8
        case .bool: return .bool
        case .complex64: return .c64
        }
    }

    /// A `dtype` attribute value: a safetensors tag (`BF16`), a CLI spelling (`bf16`) or a
    /// NumPy / Keras name (`bfloat16`, `float32`, `bool`…).
    static func dtype(attribute value: String) -> DType? {
        if let tag = DType(tag: value) { return tag }
        let numpy: [String: DType] = [
            "float64": .f64, "float32": .f32, "float16": .f16, "bfloat16": .bf16,
            "int64": .i64, "int32": .i32, "int16": .i16, "int8": .i8,
            "uint64": .u64, "uint32": .u32, "uint16": .u16, "uint8": .u8,
            "bool": .bool, "complex64": .c64,
            "float8_e5m2": .f8E5M2, "float8_e4m3fn": .f8E4M3, "float8_e4m3": .f8E4M3,
            "float8_e8m0fnu": .f8E8M0, "float8_e4m3fnuz": .f8E4M3FNUZ, "float8_e5m2fnuz": .f8E5M2FNUZ,
        ]
        return numpy[value]
    }
}

/// The dtype of a dataset and the memory type to read it with.
struct ResolvedType {
    let dtype: DType
    let memoryType: HDF5Datatype

    /// Resolves a dataset's type, honouring its `dtype` attribute when it has one.
    /// - Parameters:
    ///   - strictAttribute: the canonical layout: a `dtype` attribute that is not a string
    ///     or not a known dtype is an error (other layouts ignore it and infer the dtype).
    ///   - untaggedOpaqueIsBF16: Keras layouts: a 2-byte opaque dataset without a `dtype`
    ///     attribute is bfloat16 (Keras 3's legacy `.h5` writer stores ml_dtypes bfloat16
    ///     that way, with an empty tag; Keras has no other 2-byte opaque type).
    /// - Throws: `HDF5CheckpointError.unsupportedType` / `.dtypeMismatch` /
    ///   `.invalidAttribute`.
    static func resolve(_ dataset: HDF5Dataset, strictAttribute: Bool, untaggedOpaqueIsBF16: Bool = false) throws -> ResolvedType {
        let path = dataset.file.path
        let fileType = try dataset.datatype()
        var declared: (text: String, dtype: DType)? = nil
        if try dataset.hasAttribute("dtype") {
            let text = try? dataset.readString(attribute: "dtype")
            if let text, let dtype = DTypeStorage.dtype(attribute: text) {
                declared = (text, dtype)
            } else if strictAttribute {
                throw HDF5CheckpointError.invalidAttribute(path: path, object: dataset.path, attribute: "dtype",
                                                           problem: "is not a dtype tag such as F32 or BF16 (found \(text.map { "\"\($0)\"" } ?? "a non-string value"))")
            }
        }
        let found = fileType.elementType
        if let declared {
            switch DTypeStorage(declared.dtype) {
            case .element(let element)? where found == element:
                return ResolvedType(dtype: declared.dtype, memoryType: try HDF5Datatype.element(element))
            case .element(.bfloat16)?, .opaque?:
                // Keras 3 stores bf16 (and Transfuse stores F8 types) as opaque bytes of the element size.
                if fileType.typeClass == .opaque, fileType.size == declared.dtype.bitWidth / 8 {
                    return ResolvedType(dtype: declared.dtype, memoryType: try fileType.copy())
                }
            default:
                break
            }
            if strictAttribute || found == nil {
                throw HDF5CheckpointError.dtypeMismatch(path: path, dataset: dataset.path, attribute: declared.text,
                                                        type: fileType.description)
            }
        }
        if untaggedOpaqueIsBF16, found == nil, fileType.typeClass == .opaque, fileType.size == 2 {
            return ResolvedType(dtype: .bf16, memoryType: try fileType.copy())
        }
        guard let found else {
            throw HDF5CheckpointError.unsupportedType(path: path, dataset: dataset.path, type: fileType.description)
        }
        return ResolvedType(dtype: DTypeStorage.dtype(of: found), memoryType: try HDF5Datatype.element(found))
    }
}
