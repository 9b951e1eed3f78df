/// An HDF5 failure: what Transfuse was doing, on which file and object, and the messages of
/// the HDF5 error stack (innermost last), e.g.
/// `model.h5: cannot open the file (H5Fopen: unable to open file ← H5F__super_read: truncated file)`.
public struct HDF5Error: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file involved.
    public let path: String
    /// The object inside the file (`/vit/encoder/weight`), or empty for the file itself.
    public let object: String
    /// What was being done, e.g. "cannot read the dataset".
    public let operation: String
    /// The HDF5 error stack, outermost first (`function: message`), possibly empty.
    public let stack: [String]

    public init(path: String, object: String = "", operation: String, stack: [String] = []) {
        self.path = path
        self.object = object
        self.operation = operation
        self.stack = stack
    }

    public var description: String {
        var text = path
        if !object.isEmpty { text += " \(object)" }
        text += ": \(operation)"
        if !stack.isEmpty { text += " (HDF5: " + stack.joined(separator: " ← ") + ")" }
        return text
    }
}
