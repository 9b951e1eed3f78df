import CDeflate
import Foundation

/// A minimal PNG encoder (8-bit RGB, no interlace) over zlib's `compress2`: enough for
/// transport-map heatmaps. The only file of `Fusion` that imports `CDeflate`.
enum PNGWriter {
    /// PNG bytes of a `width × height` RGB image (`pixels` row-major, 3 bytes per pixel).
    static func encode(width: Int, height: Int, rgb pixels: [UInt8]) throws -> Data {
        precondition(pixels.count == width * height * 3)
        var raw = [UInt8]()
        raw.reserveCapacity((width * 3 + 1) * height)
        for y in 0..<height {
            raw.append(0)   // filter: none
            raw.append(contentsOf: pixels[(y * width * 3)..<((y + 1) * width * 3)])
        }
        var bound = compressBound(uLong(raw.count))
        var compressed = [UInt8](repeating: 0, count: Int(bound))
        let status = compressed.withUnsafeMutableBufferPointer { out in
            raw.withUnsafeBufferPointer { input in
                compress2(out.baseAddress, &bound, input.baseAddress, uLong(raw.count), 6)
            }
        }
        guard status == Z_OK else { throw FusionError.invalidArguments("zlib compress2 failed with status \(status)") }
        compressed.removeSubrange(Int(bound)...)
        var png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        var header = Data()
        header.append(bigEndian: UInt32(width))
        header.append(bigEndian: UInt32(height))
        header.append(contentsOf: [8, 2, 0, 0, 0])   // depth 8, RGB, deflate, no filter, no interlace
        png.appendChunk("IHDR", header)
        png.appendChunk("IDAT", Data(compressed))
        png.appendChunk("IEND", Data())
        return png
    }

    /// A heatmap of a non-negative matrix (white = 0, dark blue = the maximum), each entry
    /// drawn as a `scale × scale` square.
    static func heatmap(rows: Int, cols: Int, values: [Double], scale: Int) throws -> Data {
        let maximum = max(values.max() ?? 0, 1e-300)
        let width = cols * scale, height = rows * scale
        var pixels = [UInt8](repeating: 255, count: width * height * 3)
        for i in 0..<rows {
            for j in 0..<cols {
                let t = min(max(values[i * cols + j] / maximum, 0), 1)
                let color: [UInt8] = [UInt8(255 - 247 * t), UInt8(255 - 207 * t), UInt8(255 - 148 * t)]
                for dy in 0..<scale {
                    for dx in 0..<scale {
                        let p = ((i * scale + dy) * width + j * scale + dx) * 3
                        pixels[p] = color[0]; pixels[p + 1] = color[1]; pixels[p + 2] = color[2]
                    }
                }
            }
        }
        return try encode(width: width, height: height, rgb: pixels)
    }
}

private extension Data {
    mutating func append(bigEndian value: UInt32) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }

    mutating func appendChunk(_ type: String, _ body: Data) {
        append(bigEndian: UInt32(body.count))
        let typeBytes = Data(type.utf8)
        append(typeBytes)
        append(body)
        var crc = crc32(0, nil, 0)
        (typeBytes + body).withUnsafeBytes { p in
            crc = crc32(crc, p.bindMemory(to: Bytef.self).baseAddress, uInt(typeBytes.count + body.count))
        }
        append(bigEndian: UInt32(crc))
    }
}
