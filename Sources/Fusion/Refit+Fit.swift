import Foundation
import Inference
import NamingSchemes
import Transport
import WeightStore

extension Refit {
    /// The store being refitted, the settings of the run and the reports so far.
    struct Fitting {
        var store: WeightStore
        let ridge: Double
        let samples: Int
        let calibration: EvalDataset
        var reports: [RefitLayerReport] = []

        /// The recorded matrices `wanted` (module outputs, or inputs named with
        /// ``ActivationCapture/inputSuffix``) of `store` on the calibration inputs, every token,
        /// raw. `depth` encoder layers without task heads, or (`nil`) the whole model with them.
        /// - Throws: ``FusionError/refit(_:)`` naming the model and the file when it cannot run
        ///   the calibration data or records no such matrix.
        func capture(_ store: WeightStore, label: String, architecture: Architecture, depth: Int?,
                     wanted: Set<String>) throws -> [String: ActivationMatrix] {
            var found: [String: ActivationMatrix] = [:]
            do {
                let runnable = depth == nil ? store : try Repair.truncate(store, depth: depth)
                let model = try TransformerModel(store: runnable, source: label, heads: architecture.heads)
                let options = ActivationOptions(numSamples: samples, sequenceFilter: .all, normalization: .none,
                                                linearInputs: wanted.contains { $0.hasSuffix(ActivationCapture.inputSuffix) })
                try ActivationCapture.capture(model: model, dataset: calibration, source: label, options: options) { matrix in
                    if wanted.contains(matrix.name) { found[matrix.name] = matrix }
                }
            } catch let error as InferenceError {
                throw FusionError.refit("cannot run \(label) on the calibration file \(calibration.path): \(error.description)")
            }
            if let missing = wanted.sorted().first(where: { found[$0] == nil }) {
                throw FusionError.refit("\(label) records no \(missing) on \(calibration.path)")
            }
            return found
        }

        /// Refits the layers of `group` against `targets` (one `tokens × out` matrix per layer)
        /// on the inputs the fused model now gives them, and writes them into ``store``.
        /// - Throws: ``FusionError/refit(_:)`` for a missing or misshapen tensor, rows that do
        ///   not match, or a system that is singular or gives non-finite weights.
        mutating func fit(_ group: Group, architecture: Architecture, targets: [Matrix]) throws -> [RefitLayerReport] {
            let key = group.input + ActivationCapture.inputSuffix
            let x = try capture(store, label: "the fused model", architecture: architecture, depth: group.depth, wanted: [key])[key]!
            let d = x.width + 1
            let x1 = Matrix(rows: x.rows, cols: d) { buffer in
                for r in 0..<x.rows {
                    for c in 0..<x.width { buffer[r * d + c] = Double(x.values[r * x.width + c]) }
                    buffer[r * d + x.width] = 1
                }
            }
            var gram = BLAS.multiply(x1, x1, transposeA: true)
            let lambda = ridge * (0..<d).reduce(0) { $0 + gram.storage[$1 * d + $1] } / Double(d)
            for i in 0..<d { gram.storage[i * d + i] += lambda }

            var current: [Matrix] = []
            for (name, target) in zip(group.layers, targets) {
                guard target.rows == x.rows else {
                    throw FusionError.refit("\(name): the targets have \(target.rows) rows (tokens), the fused model's inputs \(x.rows)")
                }
                current.append(try Refit.augmented(store, name, outputs: target.cols, inputs: x.width))
            }
            // Right-hand sides, one row per output channel: Y*ᵀ·X₁ + λ·[W₀ | b₀].
            let total = targets.reduce(0) { $0 + $1.cols }
            var rhs = Matrix(rows: total, cols: d)
            var offset = 0
            for (target, weights) in zip(targets, current) {
                let product = BLAS.multiply(target, x1, transposeA: true)
                for i in 0..<(target.cols * d) { rhs.storage[offset * d + i] = product.storage[i] + lambda * weights.storage[i] }
                offset += target.cols
            }
            guard let solution = Cholesky.solve(gram, rightHandSides: rhs), solution.storage.allSatisfy(\.isFinite) else {
                throw FusionError.refit("\(group.layers.joined(separator: ", ")): the least-squares system on \(x.rows) calibration tokens × \(x.width) inputs is singular or not finite (are the fused model's activations finite?)")
            }
            var reports: [RefitLayerReport] = []
            offset = 0
            for ((name, target), weights) in zip(zip(group.layers, targets), current) {
                let rows = offset..<(offset + target.cols)
                let fitted = Matrix(rows: target.cols, cols: d) { buffer in
                    for (i, value) in solution.storage[(rows.lowerBound * d)..<(rows.upperBound * d)].enumerated() { buffer[i] = value }
                }
                try Refit.write(fitted, to: &store, name)
                reports.append(RefitLayerReport(layer: name, errorBefore: Refit.meanSquaredError(x1, weights, target),
                                                errorAfter: Refit.meanSquaredError(x1, fitted, target)))
                offset += target.cols
            }
            self.reports += reports
            return reports
        }
    }

    /// `[W | b]` (`out × (in + 1)`) of linear layer `name` in `store`.
    static func augmented(_ store: WeightStore, _ name: String, outputs: Int, inputs: Int) throws -> Matrix {
        guard let w = store[name + ".weight"], let b = store[name + ".bias"] else {
            throw FusionError.refit("the fused model has no \(name).weight / .bias, which the refit rewrites")
        }
        guard w.shape == [outputs, inputs], b.shape == [outputs] else {
            throw FusionError.refit("\(name): weight \(Shape.describe(w.shape)) and bias \(Shape.describe(b.shape)), expected [\(outputs), \(inputs)] and [\(outputs)] from the targets and the inputs")
        }
        let wv = try w.floats(), bv = try b.floats()
        return Matrix(rows: outputs, cols: inputs + 1) { buffer in
            for o in 0..<outputs {
                for i in 0..<inputs { buffer[o * (inputs + 1) + i] = Double(wv[o * inputs + i]) }
                buffer[o * (inputs + 1) + inputs] = Double(bv[o])
            }
        }
    }

    /// Writes `[W | b]` back into `name.weight` and `name.bias`, in their dtypes.
    static func write(_ fitted: Matrix, to store: inout WeightStore, _ name: String) throws {
        let inputs = fitted.cols - 1
        let w = store[name + ".weight"]!, b = store[name + ".bias"]!
        var weight = [Float](repeating: 0, count: fitted.rows * inputs), bias = [Float](repeating: 0, count: fitted.rows)
        for o in 0..<fitted.rows {
            for i in 0..<inputs { weight[o * inputs + i] = Float(fitted.storage[o * fitted.cols + i]) }
            bias[o] = Float(fitted.storage[o * fitted.cols + inputs])
        }
        store.set(try Tensor.fromFloats(name: w.name, shape: w.shape, values: weight, dtype: w.dtype))
        store.set(try Tensor.fromFloats(name: b.name, shape: b.shape, values: bias, dtype: b.dtype))
    }

    /// Mean over tokens and channels of `(X₁·[W | b]ᵀ − Y*)²`.
    static func meanSquaredError(_ x1: Matrix, _ weights: Matrix, _ target: Matrix) -> Double {
        let predicted = BLAS.multiply(x1, weights, transposeB: true)
        var sum = 0.0
        for i in predicted.storage.indices {
            let e = predicted.storage[i] - target.storage[i]
            sum += e * e
        }
        return sum / Double(max(1, predicted.storage.count))
    }

    /// `Σ_k w_k · Y_k · T̃_k` for layer `name` (`tokens × out_anchor`): model k's outputs mapped
    /// through its map (each anchor column scaled to sum to 1); the anchor's, and those of a
    /// model without a map but of the anchor's width (the classifier, `method: vanilla`), as they are.
    static func target(_ name: String, outputs: [[String: ActivationMatrix]], maps: [Int: TransportMap],
                       coefficients: [Double], anchor: Int, labels: [String]) throws -> Matrix {
        guard let own = outputs[anchor][name] else { throw FusionError.refit("no outputs of \(name) for the anchor \(labels[anchor])") }
        var sum = Matrix(rows: own.rows, cols: own.width)
        for (k, recorded) in outputs.enumerated() {
            guard let y = recorded[name] else { throw FusionError.refit("no outputs of \(name) for \(labels[k]) (model \(k))") }
            guard y.rows == own.rows else {
                throw FusionError.refit("\(name): \(labels[k]) gives \(y.rows) rows (tokens) on the calibration inputs, the anchor \(own.rows)")
            }
            var mapped = Matrix(rows: y.rows, cols: y.width) { buffer in
                for i in y.values.indices { buffer[i] = Double(y.values[i]) }
            }
            if k != anchor, let map = maps[k] {
                guard map.rows == y.width, map.cols == own.width else {
                    throw FusionError.refit("\(name): model \(k)'s transport map there is [\(map.rows), \(map.cols)] but \(labels[k]) has \(y.width) outputs and the anchor \(own.width)")
                }
                mapped = BLAS.multiply(mapped, map.outputSide(.barycentric))
            } else if y.width != own.width {
                throw FusionError.refit("\(name): \(labels[k]) has \(y.width) outputs, the anchor \(own.width), and there is no transport map between them")
            }
            let c = coefficients[k]
            for i in sum.storage.indices { sum.storage[i] += c * mapped.storage[i] }
        }
        return sum
    }
}
