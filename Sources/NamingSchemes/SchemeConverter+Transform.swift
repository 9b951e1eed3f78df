import Foundation
import WeightStore

extension SchemeConverter {
    /// Applies `rule`'s steps to `tensor` (scheme → canonical), naming the results `names`.
    ///
    /// Shapes are computed now; bytes only when read: renames and reshapes share the tensor's
    /// byte source, transposes and splits become a `DerivedTensorSource` that rearranges the
    /// bytes on each read and keeps nothing, so converting a checkpoint costs no memory until a
    /// writer or a computation streams through it.
    static func forward(_ tensor: Tensor, rule: ConversionRule, names: [String], symbols: [String: Int]) throws -> [Tensor] {
        if rule.steps.isEmpty, names.count == 1 { return [tensor.renamed(names[0])] }
        let width = try elementWidth(tensor, key: tensor.name, rule: rule)
        // Shapes before each step, and the final shape of every output.
        var shapes = [tensor.shape]
        var moves = false
        for step in rule.steps {
            let current = shapes[shapes.count - 1]
            switch step {
            case let .transpose(axes):
                shapes.append(axes.map { current[$0] })
                moves = true
            case let .reshape(target):
                shapes.append(try numericShape(target, elements: tensor.elementCount, symbols: symbols, key: tensor.name, rule: rule))
            case let .split(axis):
                var piece = current
                piece[axis] /= names.count
                shapes.append(piece)
                moves = true
            }
        }
        let outShape = shapes[shapes.count - 1]
        guard moves else {
            return [try Tensor(name: names[0], dtype: tensor.dtype, shape: outShape, source: tensor.source)]
        }
        let steps = rule.steps, parts = names.count, stepShapes = shapes
        let pieceBytes = tensor.byteCount / parts
        return try names.enumerated().map { index, name in
            let source = DerivedTensorSource(byteCount: pieceBytes) {
                var data: Data?
                for (position, step) in steps.enumerated() {
                    switch step {
                    case let .transpose(axes):
                        data = try bytes(data, tensor) { TensorBytes.permute($0, shape: stepShapes[position], width: width, axes: axes) }
                    case .reshape:
                        break
                    case let .split(axis):
                        return try bytes(data, tensor) {
                            TensorBytes.split($0, shape: stepShapes[position], width: width, axis: axis, parts: parts)[index]
                        }
                    }
                }
                return data ?? Data()
            }
            return try Tensor(name: name, dtype: tensor.dtype, shape: outShape, source: source)
        }
    }

    /// Inverts `rule`'s steps on the canonical `parts` (canonical → scheme), naming the
    /// result `key`; bytes are rearranged lazily as in `forward`.
    static func backward(_ parts: [Tensor], rule: ConversionRule, key: String, symbols: [String: Int], scheme: String) throws -> Tensor {
        let first = parts[0]
        if rule.steps.isEmpty, parts.count == 1 { return first.renamed(key) }
        let total = parts.reduce(0) { $0 + $1.elementCount }
        // The shapes before and after every step, from the scheme shape forward.
        var shapes = [try numericShape(rule.shape, elements: total, symbols: symbols, key: key, rule: rule, scheme: scheme)]
        var moves = false
        for step in rule.steps {
            let current = shapes[shapes.count - 1]
            switch step {
            case let .transpose(axes):
                shapes.append(axes.map { current[$0] })
                moves = true
            case let .reshape(target):
                shapes.append(try numericShape(target, elements: total, symbols: symbols, key: key, rule: rule, scheme: scheme))
            case let .split(axis):
                var piece = current
                piece[axis] /= parts.count
                shapes.append(piece)
                moves = true
            }
        }
        let width = try elementWidth(first, key: key, rule: rule)
        for part in parts where part.shape != shapes[shapes.count - 1] || part.dtype != first.dtype {
            throw NamingSchemeError.shapeMismatch(key: part.name, rule: rule.label,
                                                  expected: "\(first.dtype) \(Shape.describe(shapes[shapes.count - 1]))", found: part.shape)
        }
        guard moves else {
            return try Tensor(name: key, dtype: first.dtype, shape: shapes[0], source: first.source)
        }
        let steps = rule.steps, stepShapes = shapes
        let byteCount = parts.reduce(0) { $0 + $1.byteCount }
        let source = DerivedTensorSource(byteCount: byteCount) {
            var data: Data?
            var index = stepShapes.count - 1
            var remaining = steps
            if case let .split(axis)? = remaining.last {
                let pieces = try parts.map { try $0.source.data() }
                data = TensorBytes.concatenate(pieces, pieceShape: stepShapes[index], width: width, axis: axis)
                remaining.removeLast()
                index -= 1
            }
            for step in remaining.reversed() {
                if case let .transpose(axes) = step {
                    var inverse = [Int](repeating: 0, count: axes.count)
                    for (k, axis) in axes.enumerated() { inverse[axis] = k }
                    data = try bytes(data, first) { TensorBytes.permute($0, shape: stepShapes[index], width: width, axes: inverse) }
                }
                index -= 1
            }
            return data ?? Data()
        }
        return try Tensor(name: key, dtype: first.dtype, shape: shapes[0], source: source)
    }

    // MARK: - Helpers

    private static func elementWidth(_ tensor: Tensor, key: String, rule: ConversionRule) throws -> Int {
        guard tensor.dtype.bitWidth % 8 == 0 else {
            throw NamingSchemeError.cannotTransform(key: key, rule: rule.label,
                                                    reason: "\(tensor.dtype) packs elements below a byte, so they cannot be rearranged")
        }
        return tensor.dtype.bitWidth / 8
    }

    private static func bytes<R>(_ data: Data?, _ tensor: Tensor, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        if let data { return try data.withUnsafeBytes(body) }
        return try tensor.withBytes(body)
    }

    /// Evaluates a symbolic shape; one dimension with unknown symbols (the head count, when
    /// only the total is known) is inferred from the element count, like numpy's -1.
    private static func numericShape(_ dims: [ShapeExpression], elements: Int, symbols: [String: Int], key: String,
                                     rule: ConversionRule, scheme: String? = nil) throws -> [Int] {
        let values = dims.map { $0.evaluate(symbols) }
        let unknown = values.indices.filter { values[$0] == nil }
        let known = values.compactMap { $0 }.reduce(1, *)
        if unknown.isEmpty { return values.map { $0! } }
        guard unknown.count == 1, known > 0, elements % known == 0 else {
            let missing = Set(unknown.flatMap { dims[$0].unbound(symbols) }).sorted().joined(separator: ", ")
            throw NamingSchemeError.missingHeads(reason: "\(key) (rule \(rule.label)\(scheme.map { ", scheme \($0)" } ?? "")) has the shape \(ShapeExpression.describe(dims)) and \(missing) is not known")
        }
        var result = values.map { $0 ?? 0 }
        result[unknown[0]] = elements / known
        return result
    }
}

/// Bytes computed from other tensors on every read (a transpose, split or concatenation of
/// their sources) and not kept: memory is held only while a reader looks at them.
final class DerivedTensorSource: TensorSource, @unchecked Sendable {
    let byteCount: Int
    private let produce: () throws -> Data

    init(byteCount: Int, produce: @escaping () throws -> Data) {
        self.byteCount = byteCount
        self.produce = produce
    }

    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let data = try produce()
        return try data.withUnsafeBytes(body)
    }
}
