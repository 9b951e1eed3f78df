import Foundation
import HDF5Kit
import WeightStore

/// What a dataset asks a model to do, read from its keys (and an optional `task` attribute).
public enum DatasetTask: String, Sendable, Codable, CaseIterable {
    /// `images` float32 `[N, C, H, W]` + `labels` int `[N]`.
    case imageClassification = "image-classification"
    /// `input_ids` int `[N, L]`, optional `attention_mask` `[N, L]`, `labels` `[N, L]` (-100 ignored).
    case maskedLM = "masked-lm"
    /// `input_ids`, `attention_mask` `[N, L]`, `labels` `[N]`.
    case sequenceClassification = "sequence-classification"
}

/// An evaluation / activation dataset held in memory, checked on reading.
public struct EvalDataset: Sendable {
    public let path: String
    public let task: DatasetTask
    /// Number of samples (after `limit`).
    public let count: Int
    /// Image task: `[count, C, H, W]`; empty otherwise.
    public let images: [Float]
    /// Image task: `[C, H, W]`.
    public let imageShape: [Int]
    /// Token tasks: the inputs; nil for images.
    public let tokens: TokenBatch?
    /// `[count]` class labels, or `[count, L]` token labels (-100: not scored) for masked LM.
    public let labels: [Int]

    /// Reads `path`, keeping the first `limit` samples (all when nil).
    /// - Throws: `InferenceError.dataset` naming the file, the dataset and the shapes for
    ///   missing keys, wrong types, mismatched shapes, non-finite pixels or an empty file.
    public static func read(_ path: String, limit: Int? = nil) throws -> EvalDataset {
        let file: HDF5File
        do { file = try HDF5File.openReadOnly(path) } catch {
            throw InferenceError.dataset(file: path, dataset: "", message: "cannot open as HDF5 (\(error))")
        }
        let root = try file.root()
        let declared = try root.hasAttribute("task") ? try root.readString(attribute: "task") : nil
        let has = { (name: String) in (try? root.hasLink(name)) ?? false }
        let task: DatasetTask
        if let declared {
            guard let parsed = DatasetTask(rawValue: declared) else {
                throw InferenceError.dataset(file: path, dataset: "", message: "unknown task attribute '\(declared)' (\(DatasetTask.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            task = parsed
        } else if has("images") {
            task = .imageClassification
        } else if has("input_ids") {
            guard has("labels") else {
                throw InferenceError.dataset(file: path, dataset: "labels", message: "missing: a token dataset needs labels [N] (sequence classification) or [N, L] (masked LM)")
            }
            task = try root.openDataset("labels").shape().count == 2 ? .maskedLM : .sequenceClassification
        } else {
            throw InferenceError.dataset(file: path, dataset: "", message: "neither 'images' (image classification) nor 'input_ids' (masked LM, sequence classification) is present")
        }
        let reader = DatasetReader(root: root, path: path)
        switch task {
        case .imageClassification:
            let shape = try reader.shape("images")
            guard shape.count == 4 else {
                throw InferenceError.dataset(file: path, dataset: "images", message: "expected [N, C, H, W], found \(Shape.describe(shape))")
            }
            let n = min(shape[0], limit ?? shape[0])
            guard n > 0 else { throw InferenceError.dataset(file: path, dataset: "images", message: "holds no samples (\(Shape.describe(shape)))") }
            let labels = try reader.ints("labels", expecting: [shape[0]], keep: n)
            let images = try reader.floats("images", keep: n)
            if let bad = images.firstIndex(where: { !$0.isFinite }) {
                let per = shape.dropFirst().reduce(1, *)
                throw InferenceError.dataset(file: path, dataset: "images", message: "sample \(bad / per) of \(Shape.describe(shape)) holds \(images[bad]) at element \(bad % per) (every pixel must be finite)")
            }
            return EvalDataset(path: path, task: task, count: n, images: images, imageShape: Array(shape.dropFirst()),
                               tokens: nil, labels: labels)
        case .maskedLM, .sequenceClassification:
            let shape = try reader.shape("input_ids")
            guard shape.count == 2 else {
                throw InferenceError.dataset(file: path, dataset: "input_ids", message: "expected [N, L], found \(Shape.describe(shape))")
            }
            let n = min(shape[0], limit ?? shape[0]), length = shape[1]
            guard n > 0, length > 0 else { throw InferenceError.dataset(file: path, dataset: "input_ids", message: "holds no tokens (\(Shape.describe(shape)))") }
            let ids = try reader.ints("input_ids", expecting: shape, keep: n)
            let mask = has("attention_mask") ? try reader.ints("attention_mask", expecting: shape, keep: n) : nil
            if let bad = mask?.first(where: { $0 != 0 && $0 != 1 }) {
                throw InferenceError.dataset(file: path, dataset: "attention_mask", message: "values must be 0 or 1, found \(bad)")
            }
            let types = has("token_type_ids") ? try reader.ints("token_type_ids", expecting: shape, keep: n) : nil
            let labels = try reader.ints("labels", expecting: task == .maskedLM ? shape : [shape[0]], keep: n)
            let batch = try TokenBatch(inputIDs: ids, attentionMask: mask, tokenTypeIDs: types, count: n, length: length)
            return EvalDataset(path: path, task: task, count: n, images: [], imageShape: [], tokens: batch, labels: labels)
        }
    }

    /// Samples `range` as a dataset of their own (for batching).
    func slice(_ range: Range<Int>) -> EvalDataset {
        let per = imageShape.reduce(1, *)
        let labelWidth = labels.count / max(1, count)
        return EvalDataset(path: path, task: task, count: range.count,
                           images: images.isEmpty ? [] : Array(images[(range.lowerBound * per)..<(range.upperBound * per)]),
                           imageShape: imageShape, tokens: tokens?.slice(range),
                           labels: Array(labels[(range.lowerBound * labelWidth)..<(range.upperBound * labelWidth)]))
    }
}

/// Typed, shape-checked reads of one dataset file's members.
private struct DatasetReader {
    let root: HDF5Group
    let path: String

    func open(_ name: String) throws -> HDF5Dataset {
        guard (try? root.hasLink(name)) == true else {
            throw InferenceError.dataset(file: path, dataset: name, message: "missing")
        }
        do { return try root.openDataset(name) } catch {
            throw InferenceError.dataset(file: path, dataset: name, message: "is not a dataset (\(error))")
        }
    }

    func shape(_ name: String) throws -> [Int] { try open(name).shape() }

    /// The first `keep` rows of an integer dataset of shape `expecting`, as Int (only those rows are read).
    func ints(_ name: String, expecting: [Int], keep: Int) throws -> [Int] {
        let dataset = try open(name)
        let shape = try dataset.shape()
        guard shape == expecting else {
            throw InferenceError.dataset(file: path, dataset: name, message: "expected shape \(Shape.describe(expecting)), found \(Shape.describe(shape))")
        }
        let type = try dataset.datatype()
        guard type.typeClass == .integer || type.elementType == .bool else {
            throw InferenceError.dataset(file: path, dataset: name, message: "expected integers, found \(type)")
        }
        let data = try dataset.readBytes(memoryType: try HDF5Datatype.element(.int64), rows: 0..<keep)
        return data.withUnsafeBytes { raw in raw.bindMemory(to: Int64.self).map { Int($0) } }
    }

    /// The first `keep` rows of a float dataset, as Float (only those rows are read).
    func floats(_ name: String, keep: Int) throws -> [Float] {
        let dataset = try open(name)
        let shape = try dataset.shape()
        let type = try dataset.datatype()
        guard type.typeClass == .float else {
            throw InferenceError.dataset(file: path, dataset: name, message: "expected floats, found \(type)")
        }
        guard !shape.isEmpty else {
            throw InferenceError.dataset(file: path, dataset: name, message: "expected an array, found a scalar")
        }
        // Only the first `keep` rows are read: a large dataset is never loaded whole.
        let data = try dataset.readBytes(memoryType: try HDF5Datatype.element(.float32), rows: 0..<keep)
        return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }
}
