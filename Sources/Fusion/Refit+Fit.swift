import Foundation
import Inference
import NamingSchemes
import Transport
import WeightStore

extension Refit {
    /// Refits linear layers `layers` (one shared input) against `targets` (one `tokens × out`
    /// matrix per layer) on their inputs `x` in the fused model, and writes them into `store`.
    /// - Throws: ``FusionError/refit(_:)`` for a missing or misshapen tensor, rows that do not
    ///   match, or a system that is singular or gives non-finite weights.
    static func fit(_ layers: [String], input x: ActivationMatrix, targets: [Matrix], ridge: Double,
                    store: inout WeightStore) throws -> [RefitLayerReport] {
        let d = x.width + 1
        let x1 = Matrix(rows: x.rows, cols: d) { buffer in
            for r in 0..<x.rows {
                for c in 0..<x.width { buffer[r * d + c] = Double(x.values[r * x.width + c]) }
                buffer[r * d + x.width] = 1
            }
        }
        let gram = BLAS.multiply(x1, x1, transposeA: true)
        let lambda = ridgeStrength(gram, ridge: ridge)
        var system = gram
        for i in 0..<d { system.storage[i * d + i] += lambda }

        var current: [Matrix] = []
        for (name, target) in zip(layers, targets) {
            guard target.rows == x.rows else {
                throw FusionError.refit("\(name): the targets have \(target.rows) rows (tokens), the fused model's inputs \(x.rows)")
            }
            current.append(try augmented(store, name, outputs: target.cols, inputs: x.width))
        }
        // Right-hand sides, one row per output channel: Y*ᵀ·X₁ + λ·[W₀ | b₀].
        var rhs = Matrix(rows: targets.reduce(0) { $0 + $1.cols }, cols: d)
        var products: [Matrix] = []
        var offset = 0
        for (target, weights) in zip(targets, current) {
            let product = BLAS.multiply(target, x1, transposeA: true)
            for i in 0..<(target.cols * d) { rhs.storage[offset * d + i] = product.storage[i] + lambda * weights.storage[i] }
            products.append(product)
            offset += target.cols
        }
        guard let solution = Cholesky.solve(system, rightHandSides: rhs), solution.storage.allSatisfy(\.isFinite) else {
            throw FusionError.refit("\(layers.joined(separator: ", ")): the least-squares system on \(x.rows) calibration tokens × \(x.width) inputs is singular or not finite (are the fused model's activations finite?)")
        }
        var reports: [RefitLayerReport] = []
        offset = 0
        for (((name, target), weights), product) in zip(zip(zip(layers, targets), current), products) {
            let rows = (offset * d)..<((offset + target.cols) * d)
            let fitted = Matrix(rows: target.cols, cols: d) { buffer in
                for (i, value) in solution.storage[rows].enumerated() { buffer[i] = value }
            }
            try write(fitted, to: &store, name)
            let squares = target.storage.reduce(0) { $0 + $1 * $1 }
            reports.append(RefitLayerReport(layer: name, errorBefore: meanSquaredError(weights, gram: gram, product: product, targetSquares: squares, tokens: x.rows),
                                            errorAfter: meanSquaredError(fitted, gram: gram, product: product, targetSquares: squares, tokens: x.rows)))
            offset += target.cols
        }
        return reports
    }

    /// `λ = ridge · mean(diag X₁ᵀX₁)` for the Gram matrix `gram = X₁ᵀX₁`.
    static func ridgeStrength(_ gram: Matrix, ridge: Double) -> Double {
        ridge * (0..<gram.rows).reduce(0) { $0 + gram.storage[$1 * gram.cols + $1] } / Double(max(1, gram.rows))
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

    /// Mean over tokens and channels of `(X₁·[W | b]ᵀ − Y*)²`, from the Gram matrix
    /// `gram = X₁ᵀX₁`, `product = Y*ᵀX₁` and `targetSquares = ‖Y*‖²` without forming
    /// `X₁·[W | b]ᵀ`: `(Σ_o w_o·G·w_oᵀ − 2·w_o·p_o + ‖Y*‖²) / (tokens · out)`, clamped at 0
    /// (rounding; it is a report, not used by the fit).
    static func meanSquaredError(_ weights: Matrix, gram: Matrix, product: Matrix, targetSquares: Double, tokens: Int) -> Double {
        let wg = BLAS.multiply(weights, gram)
        var sum = targetSquares
        for i in weights.storage.indices { sum += weights.storage[i] * (wg.storage[i] - 2 * product.storage[i]) }
        return max(0, sum) / Double(max(1, tokens * weights.rows))
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
