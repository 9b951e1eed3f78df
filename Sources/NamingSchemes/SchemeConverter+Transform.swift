import Foundation
import WeightStore

extension SchemeConverter {
    /// Applies `rule`'s steps to `tensor` (scheme → canonical), naming the results `names`.
    /// Renames and reshapes share the tensor's byte source; transposes and splits copy.
    static func forward(_ tensor: Tensor, rule: ConversionRule, names: [String], symbols: [String: Int]) throws -> [Tensor] {
        if rule.steps.isEmpty, names.count == 1 { return [tensor.renamed(names[0])] }
        let width = try elementWidth(tensor, key: tensor.name, rule: rule)
        var shape = tensor.shape
        var data: Data?
        for step in rule.steps {
            switch step {
            case let .transpose(axes):
                data = try permuted(data, tensor, shape: shape, width: width, axes: axes)
                shape = axes.map { shape[$0] }
            case let .reshape(target):
                shape = try numericShape(target, elements: tensor.elementCount, symbols: symbols, key: tensor.name, rule: rule)
            case let .split(axis):
                let pieces: [Data] = try bytes(data, tensor) { TensorBytes.split($0, shape: shape, width: width, axis: axis, parts: names.count) }
                var pieceShape = shape
                pieceShape[axis] /= names.count
                return try zip(names, pieces).map { try Tensor(name: $0, dtype: tensor.dtype, shape: pieceShape, bytes: $1) }
            }
        }
        if let data { return [try Tensor(name: names[0], dtype: tensor.dtype, shape: shape, bytes: data)] }
        return [try Tensor(name: names[0], dtype: tensor.dtype, shape: shape, source: tensor.source)]
    }

    /// Inverts `rule`'s steps on the canonical `parts` (canonical → scheme), naming the result `key`.
    static func backward(_ parts: [Tensor], rule: ConversionRule, key: String, symbols: [String: Int], scheme: String) throws -> Tensor {
        let first = parts[0]
        if rule.steps.isEmpty, parts.count == 1 { return first.renamed(key) }
        let total = parts.reduce(0) { $0 + $1.elementCount }
        // The shapes before and after every step, from the scheme shape forward.
        var shapes = [try numericShape(rule.shape, elements: total, symbols: symbols, key: key, rule: rule, scheme: scheme)]
        for step in rule.steps {
            let current = shapes[shapes.count - 1]
            switch step {
            case let .transpose(axes): shapes.append(axes.map { current[$0] })
            case let .reshape(target):
                shapes.append(try numericShape(target, elements: total, symbols: symbols, key: key, rule: rule, scheme: scheme))
            case let .split(axis):
                var piece = current
                piece[axis] /= parts.count
                shapes.append(piece)
            }
        }
        let width = try elementWidth(first, key: key, rule: rule)
        for part in parts where part.shape != shapes[shapes.count - 1] || part.dtype != first.dtype {
            throw NamingSchemeError.shapeMismatch(key: part.name, rule: rule.label,
                                                  expected: "\(first.dtype) \(Shape.describe(shapes[shapes.count - 1]))", found: part.shape)
        }
        var data: Data?
        var source: Tensor = first
        var steps = rule.steps
        var index = shapes.count - 1
        if case let .split(axis)? = steps.last {
            let pieces = try parts.map { try $0.source.data() }
            data = TensorBytes.concatenate(pieces, pieceShape: shapes[index], width: width, axis: axis)
            steps.removeLast()
            index -= 1
            source = first
        }
        for step in steps.reversed() {
            let current = shapes[index]
            switch step {
            case let .transpose(axes):
                var inverse = [Int](repeating: 0, count: axes.count)
                for (k, axis) in axes.enumerated() { inverse[axis] = k }
                data = try permuted(data, source, shape: current, width: width, axes: inverse)
            case .reshape, .split:
                break
            }
            index -= 1
        }
        if let data { return try Tensor(name: key, dtype: first.dtype, shape: shapes[0], bytes: data) }
        return try Tensor(name: key, dtype: first.dtype, shape: shapes[0], source: first.source)
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

    private static func permuted(_ data: Data?, _ tensor: Tensor, shape: [Int], width: Int, axes: [Int]) throws -> Data {
        try bytes(data, tensor) { TensorBytes.permute($0, shape: shape, width: width, axes: axes) }
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
