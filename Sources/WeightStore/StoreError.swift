/// Errors of the weight store itself: inconsistent tensors, duplicate or missing names,
/// impossible casts. Each message names the tensor and the shapes involved.
public enum StoreError: Error, CustomStringConvertible, Equatable {
    case invalidShape(tensor: String, shape: [Int])
    case byteCountMismatch(tensor: String, dtype: DType, shape: [Int], expected: Int?, found: Int)
    case duplicateTensor(String)
    case missingTensor(String)
    case notFloatingPoint(tensor: String, dtype: DType)
    case unsupportedCast(tensor: String, from: DType, to: DType)
    case invalidByteSize(String)
    case outputExists(path: String)
    case io(path: String, message: String)

    public var description: String {
        switch self {
        case let .invalidShape(tensor, shape):
            return "\(tensor): invalid shape \(Shape.describe(shape)) (negative dimension or too many elements)"
        case let .byteCountMismatch(tensor, dtype, shape, expected, found):
            let want = expected.map { "\($0) bytes" } ?? "a whole number of bytes"
            return "\(tensor): \(dtype) \(Shape.describe(shape)) needs \(want), found \(found)"
        case let .duplicateTensor(name):
            return "\(name): the tensor name occurs twice"
        case let .missingTensor(name):
            return "\(name): no such tensor"
        case let .notFloatingPoint(tensor, dtype):
            return "\(tensor): \(dtype) is not a floating-point type Transfuse computes with (F64, F32, F16, BF16)"
        case let .unsupportedCast(tensor, from, to):
            return "\(tensor): cannot cast \(from) to \(to)"
        case let .invalidByteSize(text):
            return "'\(text)' is not a size: use a number with an optional unit such as 500MB, 2GB or 1GiB"
        case let .outputExists(path):
            return "\(path): already exists (pass --force to overwrite it)"
        case let .io(path, message):
            return "\(path): \(message)"
        }
    }
}
