import Foundation
import WeightStore

/// Byte-exact rearrangements of row-major tensors: axis permutation, equal split and
/// concatenation. They move whole elements, never reinterpret values, so every dtype with a
/// whole number of bytes per element round-trips bit for bit.
enum TensorBytes {
    /// Permutes the axes of `bytes` (shape `shape`, `width` bytes per element): output axis k
    /// is input axis `axes[k]`. O(elements).
    static func permute(_ bytes: UnsafeRawBufferPointer, shape: [Int], width: Int, axes: [Int]) -> Data {
        let rank = shape.count
        let count = shape.reduce(1, *)
        var output = Data(count: count * width)
        guard count > 0 else { return output }
        var inputStrides = [Int](repeating: 1, count: rank)
        for axis in stride(from: rank - 2, through: 0, by: -1) { inputStrides[axis] = inputStrides[axis + 1] * shape[axis + 1] }
        let outShape = axes.map { shape[$0] }
        let strides = axes.map { inputStrides[$0] }   // input stride of each output axis
        output.withUnsafeMutableBytes { out in
            switch width {
            case 1: gather(UInt8.self, bytes, out, outShape, strides)
            case 2: gather(UInt16.self, bytes, out, outShape, strides)
            case 4: gather(UInt32.self, bytes, out, outShape, strides)
            case 8: gather(UInt64.self, bytes, out, outShape, strides)
            default: gatherBytes(bytes, out, outShape, strides, width)
            }
        }
        return output
    }

    /// Writes the elements in output order, walking the input with an odometer.
    private static func gather<T>(_: T.Type, _ input: UnsafeRawBufferPointer, _ output: UnsafeMutableRawBufferPointer,
                                  _ outShape: [Int], _ strides: [Int]) {
        let source = input.bindMemory(to: T.self)
        let target = output.bindMemory(to: T.self)
        let rank = outShape.count
        let innerCount = outShape[rank - 1], innerStride = strides[rank - 1]
        var index = [Int](repeating: 0, count: rank)
        var base = 0, written = 0
        while written < target.count {
            var offset = base
            for k in 0..<innerCount { target[written + k] = source[offset]; offset += innerStride }
            written += innerCount
            var axis = rank - 2
            while axis >= 0 {
                index[axis] += 1
                base += strides[axis]
                if index[axis] < outShape[axis] { break }
                base -= strides[axis] * outShape[axis]
                index[axis] = 0
                axis -= 1
            }
            if axis < 0 { break }
        }
    }

    private static func gatherBytes(_ input: UnsafeRawBufferPointer, _ output: UnsafeMutableRawBufferPointer,
                                    _ outShape: [Int], _ strides: [Int], _ width: Int) {
        let rank = outShape.count
        var index = [Int](repeating: 0, count: rank)
        let count = outShape.reduce(1, *)
        for element in 0..<count {
            var offset = 0
            for axis in 0..<rank { offset += index[axis] * strides[axis] }
            for byte in 0..<width { output[element * width + byte] = input[offset * width + byte] }
            var axis = rank - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < outShape[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
    }

    /// Splits `bytes` (shape `shape`) into `parts` equal pieces along `axis`.
    /// - Precondition: `shape[axis]` is divisible by `parts`.
    static func split(_ bytes: UnsafeRawBufferPointer, shape: [Int], width: Int, axis: Int, parts: Int) -> [Data] {
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[(axis + 1)...].reduce(1, *) * width
        let chunk = shape[axis] / parts * inner
        return (0..<parts).map { part in
            var piece = Data(capacity: outer * chunk)
            for o in 0..<outer {
                let start = o * shape[axis] * inner + part * chunk
                piece.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<start + chunk]))
            }
            return piece
        }
    }

    /// Concatenates pieces of equal shape `pieceShape` along `axis` (the inverse of `split`).
    static func concatenate(_ pieces: [Data], pieceShape: [Int], width: Int, axis: Int) -> Data {
        let outer = pieceShape[..<axis].reduce(1, *)
        let chunk = pieceShape[axis...].reduce(1, *) * width
        var output = Data(capacity: outer * chunk * pieces.count)
        for o in 0..<outer {
            for piece in pieces {
                let start = piece.startIndex + o * chunk
                output.append(piece[start..<start + chunk])
            }
        }
        return output
    }
}
