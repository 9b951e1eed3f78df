import Foundation
import WeightStore

/// One parsed `.npy` array: the format is the magic `\x93NUMPY`, a version byte pair, a header
/// length (u16 little-endian for version 1, u32 for versions 2 and 3), a Python-literal dict
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` and then the raw data.
struct NPYArray {
    let dtype: DType
    let shape: [Int]
    /// Little-endian, row-major bytes (big-endian input is byte-swapped).
    let bytes: Data

    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]

    /// Parses `data` as an `.npy` file; `path` and `name` only label errors.
    init(data: Data, path: String, name: String) throws {
        func fail(_ reason: String) -> NPZError { .invalidArray(path: path, array: name, reason: reason) }
        let bytes = [UInt8](data.prefix(12))
        guard bytes.count >= 10, Array(bytes[0..<6]) == NPYArray.magic else {
            throw fail("missing the \\x93NUMPY magic")
        }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw fail("truncated header length") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw fail("unknown format version \(major).\(bytes[7])")
        }
        guard headerStart + headerLength <= data.count else {
            throw fail("header of \(headerLength) bytes runs past the end (\(data.count) bytes)")
        }
        let headerData = data.subdata(in: data.startIndex + headerStart ..< data.startIndex + headerStart + headerLength)
        guard let header = String(data: headerData, encoding: major == 3 ? .utf8 : .isoLatin1) else {
            throw fail("header is not text")
        }
        let fields = try NPYHeader(text: header, fail: fail)
        guard let (dtype, swap) = NPYArray.dtype(fields.descr) else {
            throw NPZError.unsupportedDType(path: path, array: name, descr: fields.descr)
        }
        if fields.fortranOrder, fields.shape.count > 1 {
            throw NPZError.fortranOrder(path: path, array: name, shape: fields.shape)
        }
        guard let count = Shape.elementCount(fields.shape), let byteCount = dtype.byteCount(elements: count) else {
            throw fail("shape \(Shape.describe(fields.shape)) is too large")
        }
        let dataStart = headerStart + headerLength
        guard data.count - dataStart == byteCount else {
            throw fail("\(dtype) \(Shape.describe(fields.shape)) needs \(byteCount) bytes of data, found \(data.count - dataStart)")
        }
        var payload = data.subdata(in: data.startIndex + dataStart ..< data.endIndex)
        if swap { NPYArray.swapBytes(&payload, width: dtype.bitWidth / 8) }
        self.dtype = dtype
        self.shape = fields.shape
        self.bytes = payload
    }

    /// The dtype of a numpy `descr` such as `<f4`, and whether its bytes must be swapped.
    static func dtype(_ descr: String) -> (DType, Bool)? {
        guard descr.count >= 3 else { return nil }
        let order = descr.first!
        let code = String(descr.dropFirst())
        let table: [String: DType] = [
            "f2": .f16, "f4": .f32, "f8": .f64, "i1": .i8, "i2": .i16, "i4": .i32, "i8": .i64,
            "u1": .u8, "u2": .u16, "u4": .u32, "u8": .u64, "b1": .bool,
        ]
        guard let dtype = table[code] else { return nil }
        switch order {
        case "<", "|": return (dtype, false)
        case "=": return (dtype, false) // native order: Transfuse runs on little-endian machines
        case ">": return (dtype, dtype.bitWidth > 8)
        default: return nil
        }
    }

    private static func swapBytes(_ data: inout Data, width: Int) {
        guard width > 1 else { return }
        data.withUnsafeMutableBytes { raw in
            var offset = 0
            while offset + width <= raw.count {
                var low = offset, high = offset + width - 1
                while low < high { raw.swapAt(low, high); low += 1; high -= 1 }
                offset += width
            }
        }
    }
}

/// The three fields of an `.npy` header dict, parsed strictly from its Python literal.
struct NPYHeader {
    let descr: String
    let fortranOrder: Bool
    let shape: [Int]

    init(text: String, fail: (String) -> NPZError) throws {
        func value(of key: String) throws -> Substring {
            guard let keyRange = text.range(of: "'\(key)'") else { throw fail("header has no '\(key)': \(text)") }
            var rest = text[keyRange.upperBound...].drop { $0 == " " }
            guard rest.first == ":" else { throw fail("malformed '\(key)' in header: \(text)") }
            rest = rest.dropFirst().drop { $0 == " " }
            return rest
        }
        let descrRest = try value(of: "descr")
        guard descrRest.first == "'", let close = descrRest.dropFirst().firstIndex(of: "'") else {
            throw fail("'descr' is not a simple type string (structured arrays are not supported): \(text)")
        }
        descr = String(descrRest[descrRest.index(after: descrRest.startIndex)..<close])
        let orderRest = try value(of: "fortran_order")
        if orderRest.hasPrefix("True") { fortranOrder = true }
        else if orderRest.hasPrefix("False") { fortranOrder = false }
        else { throw fail("'fortran_order' is neither True nor False: \(text)") }
        let shapeRest = try value(of: "shape")
        guard shapeRest.first == "(", let close = shapeRest.firstIndex(of: ")") else {
            throw fail("'shape' is not a tuple: \(text)")
        }
        let inner = shapeRest[shapeRest.index(after: shapeRest.startIndex)..<close]
        var dims: [Int] = []
        for part in inner.split(separator: ",") {
            let trimmed = part.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "L", with: "")
            if trimmed.isEmpty { continue }
            guard let dim = Int(trimmed), dim >= 0 else { throw fail("invalid dimension '\(trimmed)' in 'shape': \(text)") }
            dims.append(dim)
        }
        shape = dims
    }
}
