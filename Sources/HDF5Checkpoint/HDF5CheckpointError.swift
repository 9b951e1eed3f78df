import HDF5Kit
import WeightStore

/// Everything that can go wrong reading or writing a checkpoint as HDF5. Each message names
/// the file and, where there is one, the dataset or tensor, and says what to do.
public enum HDF5CheckpointError: Error, CustomStringConvertible {
    /// The path does not exist.
    case missingFile(path: String)
    /// The path is a folder, not a file.
    case notAFile(path: String)
    /// The file does not start with an HDF5 signature.
    case notHDF5(path: String)
    /// HDF5 could not open or read the file (truncated, corrupt): the HDF5 error stack.
    case unreadable(HDF5Error)
    /// A dataset whose HDF5 type has no Transfuse dtype.
    case unsupportedType(path: String, dataset: String, type: String)
    /// A tensor whose dtype the HDF5 layout cannot store.
    case unsupportedDType(path: String, tensor: String, dtype: DType)
    /// A `dtype` attribute that disagrees with the dataset's HDF5 type.
    case dtypeMismatch(path: String, dataset: String, attribute: String, type: String)
    /// An attribute of the layout that is missing or malformed.
    case invalidAttribute(path: String, object: String, attribute: String, problem: String)
    /// `transfuse_tensor_order` does not match the datasets in the file.
    case inconsistentOrder(path: String, problem: String)
    /// A canonical file written by a newer Transfuse.
    case unsupportedLayoutVersion(path: String, version: Int)
    /// Two datasets map to the same tensor name.
    case duplicateName(path: String, name: String, first: String, second: String)
    /// A legacy Keras file whose `layer_names`/`weight_names` point at missing objects.
    case kerasLayout(path: String, problem: String)
    /// A tensor whose bytes no longer match its header (the file changed while open).
    case sizeChanged(path: String, dataset: String, expected: Int, found: Int)
    /// A string the layout stores as an HDF5 string contains a NUL character.
    case nulInString(path: String, what: String)
    /// Writing a tensor's bytes into the file outside HDF5 failed (disk full, I/O error, a
    /// source file that ended early).
    case io(path: String, tensor: String, message: String)
    /// Any other HDF5 failure (naming the file and object).
    case hdf5(HDF5Error)

    public var description: String {
        switch self {
        case let .missingFile(path):
            return "\(path): no such file"
        case let .notAFile(path):
            return "\(path): is a folder, not an HDF5 file"
        case let .notHDF5(path):
            return "\(path): not an HDF5 file (no HDF5 signature); check the path, or convert from the format the file is in"
        case let .unreadable(error):
            return "\(error.description) — the file is truncated or corrupt; regenerate or re-download it"
        case let .unsupportedType(path, dataset, type):
            return "\(path) \(dataset): unsupported HDF5 type \(type); Transfuse reads floats (f16, bf16, f32, f64), integers, h5py bools and complex64"
        case let .unsupportedDType(path, tensor, dtype):
            return "\(path): \(tensor) has dtype \(dtype), which the HDF5 layout cannot store; convert it with --dtype or write safetensors"
        case let .dtypeMismatch(path, dataset, attribute, type):
            return "\(path) \(dataset): the dtype attribute says \(attribute) but the dataset's HDF5 type is \(type)"
        case let .invalidAttribute(path, object, attribute, problem):
            return "\(path) \(object): attribute \(attribute) \(problem)"
        case let .inconsistentOrder(path, problem):
            return "\(path): inconsistent transfuse_tensor_order attribute: \(problem)"
        case let .unsupportedLayoutVersion(path, version):
            return "\(path): Transfuse HDF5 layout version \(version) is not supported (this Transfuse reads version 1); upgrade Transfuse"
        case let .duplicateName(path, name, first, second):
            return "\(path): datasets \(first) and \(second) both map to the tensor name \(name)"
        case let .kerasLayout(path, problem):
            return "\(path): invalid Keras weight file: \(problem)"
        case let .sizeChanged(path, dataset, expected, found):
            return "\(path) \(dataset): expected \(expected) bytes, read \(found); was the file changed while it was open?"
        case let .nulInString(path, what):
            return "\(path): \(what) contains a NUL character, which HDF5 strings cannot hold"
        case let .io(path, tensor, message):
            return "\(path): cannot write the bytes of \(tensor): \(message)"
        case let .hdf5(error):
            return error.description
        }
    }
}
