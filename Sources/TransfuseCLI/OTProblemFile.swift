import Foundation
import HDF5Kit
import Transport
import WeightStore

/// Reading `transfuse ot`'s inputs from HDF5 and writing its plan.
enum OTProblemFile {
    /// A cost matrix and optional marginals, as read.
    struct Problem {
        let cost: Matrix
        let a: [Double]?
        let b: [Double]?
        /// `"FILE:DATASET"` of the cost matrix, for messages.
        let description: String
    }

    /// An input that is not what `ot` needs, naming the file, the dataset and the shapes.
    struct ReadError: Error, CustomStringConvertible {
        let description: String
    }

    /// Reads the cost matrix (2-D float dataset, read as float64) and the marginal vectors.
    static func read(costPath: String, dataset: String?, a: String?, b: String?) throws -> Problem {
        let (costName, cost) = try readFloats(path: costPath, dataset: dataset, defaultName: nil)
        let shape = cost.shape
        guard shape.count == 2 else {
            throw ReadError(description: "\(costPath):\(costName): the cost matrix must be 2-D, found shape \(Shape.describe(shape))")
        }
        let matrix = try Matrix(rows: shape[0], cols: shape[1], values: cost.values)
        let av = try a.map { try readVector(spec: $0, defaultName: "a", expected: shape[0], role: "a (rows)") }
        let bv = try b.map { try readVector(spec: $0, defaultName: "b", expected: shape[1], role: "b (columns)") }
        return Problem(cost: matrix, a: av, b: bv, description: "\(costPath):\(costName)")
    }

    /// A marginal from `FILE.h5[:DATASET]`: 1-D, or 2-D with one dimension of size 1.
    static func readVector(spec: String, defaultName: String, expected: Int, role: String) throws -> [Double] {
        var path = spec, name: String? = nil
        if let colon = spec.lastIndex(of: ":"), !FileManager.default.fileExists(atPath: spec) {
            path = String(spec[..<colon])
            name = String(spec[spec.index(after: colon)...])
        }
        let (found, data) = try readFloats(path: path, dataset: name, defaultName: defaultName)
        let isVector = data.shape.count == 1 || (data.shape.count == 2 && data.shape.contains(1))
        guard isVector else {
            throw ReadError(description: "\(path):\(found): marginal \(role) must be a vector, found shape \(Shape.describe(data.shape))")
        }
        guard data.values.count == expected else {
            throw ReadError(description: "\(path):\(found): marginal \(role) has \(data.values.count) values, the cost matrix needs \(expected)")
        }
        return data.values
    }

    /// The float64 values and shape of a float dataset; `dataset == nil` picks `defaultName`
    /// when present, else the file's only dataset.
    static func readFloats(path: String, dataset: String?, defaultName: String?) throws -> (name: String, (shape: [Int], values: [Double])) {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ReadError(description: "\(path): no such file")
        }
        guard HDF5File.isHDF5(path: path) else {
            throw ReadError(description: "\(path): not an HDF5 file")
        }
        let file = try HDF5File.openReadOnly(path)
        let root = try file.root()
        let name: String
        if let dataset {
            name = dataset
        } else {
            let datasets = try root.links().links.filter { $0.kind == .dataset }.map(\.name)
            if let defaultName, datasets.contains(defaultName) {
                name = defaultName
            } else if datasets.count == 1 {
                name = datasets[0]
            } else {
                throw ReadError(description: "\(path): choose a dataset (\(dataset == nil && defaultName != nil ? "FILE.h5:NAME" : "--dataset NAME")); the file has \(datasets.count) datasets at its root: \(datasets.prefix(10).joined(separator: ", "))")
            }
        }
        guard try root.hasLink(name) else {
            throw ReadError(description: "\(path): no dataset '\(name)'")
        }
        let ds = try root.openDataset(name)
        let type = try ds.datatype()
        guard type.typeClass == .float else {
            throw ReadError(description: "\(path):\(name): expected float32 or float64 values, found \(type)")
        }
        let shape = try ds.shape()
        let values = try ds.read(Double.self)
        guard values.count == shape.reduce(1, *) else {
            throw ReadError(description: "\(path):\(name): read \(values.count) values for shape \(Shape.describe(shape))")
        }
        return (name, (shape, values))
    }

    /// Writes the plan as float64 dataset `plan` (`n × m`) with attributes `solver`, `iterations`.
    static func writePlan(_ result: TransportResult, to path: String, force: Bool) throws {
        try AtomicOutput.write(to: path, force: force) { temporary in
            let file = try HDF5File.create(temporary)
            let root = try file.root()
            let plan = try root.createDataset("plan", type: HDF5Datatype.native(.float64),
                                              shape: [result.plan.rows, result.plan.cols])
            try plan.write(result.plan.storage)
            try plan.writeString(result.solver.rawValue, attribute: "solver")
            try plan.writeInt(result.iterations, attribute: "iterations")
            try plan.writeString("\(result.cost)", attribute: "cost")
            try file.flush()
        }
    }
}
