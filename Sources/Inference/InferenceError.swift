import WeightStore

/// Everything that can go wrong while loading a model, reading a dataset, running a forward
/// pass or capturing activations. Every message names the file, the tensor or dataset and the
/// shapes involved.
public enum InferenceError: Error, CustomStringConvertible, Equatable {
    /// The model's config (config.json) is missing or lacks a key the architecture needs.
    case config(source: String, message: String)
    /// A tensor the forward pass needs is absent.
    case missingTensor(source: String, tensor: String, hint: String)
    /// A tensor's shape disagrees with the config.
    case shapeMismatch(source: String, tensor: String, expected: [Int], found: [Int])
    /// The architecture is not one Transfuse can run (neither ViT nor BERT, or an unsupported option).
    case unsupported(source: String, message: String)
    /// A dataset file is malformed: missing keys, wrong types, mismatched shapes, bad values.
    case dataset(file: String, dataset: String, message: String)
    /// The model cannot run this dataset's task (e.g. an MLM dataset with a ViT).
    case taskMismatch(model: String, dataset: String, message: String)
    /// An input handed to the library directly has the wrong size.
    case input(message: String)

    public var description: String {
        switch self {
        case let .config(source, message):
            return "\(source): config: \(message)"
        case let .missingTensor(source, tensor, hint):
            return "\(source): missing tensor \(tensor)" + (hint.isEmpty ? "" : " (\(hint))")
        case let .shapeMismatch(source, tensor, expected, found):
            return "\(source): \(tensor): expected \(Shape.describe(expected)), found \(Shape.describe(found))"
        case let .unsupported(source, message):
            return "\(source): \(message)"
        case let .dataset(file, dataset, message):
            return dataset.isEmpty ? "\(file): \(message)" : "\(file): dataset '\(dataset)': \(message)"
        case let .taskMismatch(model, dataset, message):
            return "\(model) on \(dataset): \(message)"
        case let .input(message):
            return message
        }
    }
}
