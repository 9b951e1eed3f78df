import NamingSchemes
import WeightStore

/// The fused model as it will be written in a naming scheme, known before any fusion work,
/// filled in tensor by tensor as ``Fuser/stream(_:options:keepMaps:progress:into:write:)``
/// produces it.
///
/// The fused canonical store always has the anchor's tensors (names, dtypes, shapes, order),
/// metadata and config, so its conversion to the output scheme — and so the output file's
/// header — is known up front: ``template`` gives it. Each output tensor is handed to the
/// writer as soon as every fused tensor it is made of exists (a rename as soon as its tensor
/// is fused; a concatenation or transpose of several, e.g. a packed QKV, when the last one is),
/// and is forgotten once written, so memory holds only the tensors not yet written.
public final class FusedOutput {
    /// The output store's tensors (names, dtypes, shapes, order), metadata and config; its
    /// sources hold nothing and cannot be read. The header of a streaming writer.
    public let template: WeightStore
    /// Canonical tensors not received yet, by name (a tied copy shares its original's).
    private var deferred: [String: DeferredTensorSource]
    /// The anchor's dtype and shape of each canonical tensor.
    private let expected: [String: (dtype: DType, shape: [Int])]
    /// Output tensors not written yet (nil once written).
    private var outputs: [Tensor?]
    /// Output tensors (indices) waiting for a canonical tensor, by the name of its source.
    private var waiting: [String: [Int]] = [:]
    /// Output tensors not written yet.
    public private(set) var remaining: Int

    /// Converts the anchor's layout to `scheme` (as `SchemeConverter.fromCanonical` would
    /// convert the fused store).
    /// - Parameters:
    ///   - anchor: the anchor model (its canonical store gives the fused model's layout).
    /// - Throws: `NamingSchemeError` when the scheme cannot represent the model.
    public init(anchor: CanonicalModel, scheme: String, heads: Int?, registry: SchemeRegistry) throws {
        var deferred: [String: DeferredTensorSource] = [:]
        var expected: [String: (dtype: DType, shape: [Int])] = [:]
        for tensor in anchor.store.tensors {
            deferred[tensor.name] = DeferredTensorSource(name: tensor.name, byteCount: tensor.byteCount)
            expected[tensor.name] = (tensor.dtype, tensor.shape)
        }
        for (copy, original) in Fuser.tiedCopies(anchor) { deferred[copy] = deferred[original] }
        let canonical = try WeightStore(tensors: anchor.store.tensors.map { t in
            try Tensor(name: t.name, dtype: t.dtype, shape: t.shape,
                       source: deferred[t.name] ?? DeferredTensorSource(name: t.name, byteCount: t.byteCount))
        }, metadata: anchor.store.metadata, configJSON: anchor.store.configJSON)
        let converted = try SchemeConverter.fromCanonical(canonical, to: scheme, heads: heads, registry: registry)
        template = try WeightStore(tensors: converted.tensors.map {
            try Tensor(name: $0.name, dtype: $0.dtype, shape: $0.shape, source: HeaderOnlySource(byteCount: $0.byteCount))
        }, metadata: converted.metadata, configJSON: converted.configJSON)
        self.deferred = deferred
        self.expected = expected
        outputs = converted.tensors
        remaining = converted.count
        for index in outputs.indices { try fileUnderFirstPart(index) }
    }

    /// Takes one fused canonical tensor and writes every output tensor it completes.
    /// - Throws: `FusionError.tensorShape` for a tensor the anchor does not have, has another
    ///   dtype or shape, or was received already; whatever `write` throws.
    public func accept(_ tensor: Tensor, write: (Tensor) throws -> Void) throws {
        guard let source = deferred.removeValue(forKey: tensor.name), let spec = expected[tensor.name] else {
            throw FusionError.tensorShape(model: "the fused model", tensor: tensor.name,
                                          expected: "a tensor of the anchor, received once", found: "an unknown or repeated tensor")
        }
        guard tensor.dtype == spec.dtype, tensor.shape == spec.shape else {
            throw FusionError.tensorShape(model: "the fused model", tensor: tensor.name, expected: "\(spec.dtype) \(Shape.describe(spec.shape)) (the anchor's)",
                                          found: "\(tensor.dtype) \(Shape.describe(tensor.shape))")
        }
        guard !source.isResolved else { return }   // a tied copy: its original already filled the shared source
        source.resolve(tensor.source)
        for index in waiting.removeValue(forKey: source.name) ?? [] { try attempt(index, write: write) }
    }

    /// Checks that every output tensor was written.
    /// - Throws: `FusionError.tensorShape` naming the first output tensor still missing.
    public func finish() throws {
        if let missing = outputs.lazy.compactMap({ $0 }).first {
            throw FusionError.tensorShape(model: "the fused model", tensor: missing.name,
                                          expected: "written", found: "still waiting for a fused tensor (\(remaining) output tensors missing)")
        }
    }

    /// Writes output tensor `index` when all its parts exist, or files it under the first
    /// part still missing.
    private func attempt(_ index: Int, write: (Tensor) throws -> Void) throws {
        guard let tensor = outputs[index] else { return }
        do {
            try write(tensor)
        } catch let notYet as DeferredTensorSource.NotYetFused {
            waiting[notYet.name, default: []].append(index)
            return
        }
        outputs[index] = nil
        remaining -= 1
    }

    /// Files output tensor `index` under the first part it misses (reading it throws at once,
    /// before any work; every part is missing before the fusion starts).
    private func fileUnderFirstPart(_ index: Int) throws {
        guard let tensor = outputs[index] else { return }
        do {
            try tensor.withBytes { _ in }
        } catch let notYet as DeferredTensorSource.NotYetFused {
            waiting[notYet.name, default: []].append(index)
        }
    }
}

extension Fuser {
    /// ``stream(_:options:keepMaps:progress:emit:)`` into `output`: each fused tensor goes to
    /// `output`, which hands `write` every output tensor (in `output`'s scheme) as soon as it
    /// is complete; checks at the end that all were written.
    public static func stream(_ inputs: [FusionInput], options: FusionOptions, keepMaps: Bool = false,
                              progress: @escaping (String) -> Void = { _ in },
                              into output: FusedOutput, write: (Tensor) throws -> Void) throws -> FusionSummary {
        let summary = try stream(inputs, options: options, keepMaps: keepMaps, progress: progress) { try output.accept($0, write: write) }
        try output.finish()
        return summary
    }
}

/// The bytes of a fused tensor that may not exist yet: reading before `resolve` throws
/// `NotYetFused` (naming the tensor), after it reads the fused tensor's source.
final class DeferredTensorSource: TensorSource, @unchecked Sendable {
    struct NotYetFused: Error { let name: String }

    let name: String
    let byteCount: Int
    private var target: (any TensorSource)?

    init(name: String, byteCount: Int) {
        self.name = name
        self.byteCount = byteCount
    }

    var isResolved: Bool { target != nil }

    func resolve(_ source: any TensorSource) { target = source }

    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        guard let target else { throw NotYetFused(name: name) }
        return try target.withBytes(body)
    }

    func release() { target?.release() }

    var fileExtent: FileExtent? { target?.fileExtent }
}

/// A source with a byte count and nothing else (a header template's).
final class HeaderOnlySource: TensorSource, @unchecked Sendable {
    struct Unreadable: Error {}
    let byteCount: Int
    init(byteCount: Int) { self.byteCount = byteCount }
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R { throw Unreadable() }
}
